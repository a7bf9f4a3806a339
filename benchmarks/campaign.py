"""Wall time of a campaign of CDA candidates at several --jobs (run by hand: python benchmarks/campaign.py [N])."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from harness.campaign.config import load_campaign
from harness.campaign.execute import execute

REPO = Path(__file__).resolve().parents[1]


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        lines = ['[campaign]\nid = "bench"\noutput = "runs"\ntimeout = 300\n']
        for index in range(count):
            folder = REPO / "fixtures" / ("conforming" if index % 2 == 0 else "nonconforming") / "cda"
            lines.append(f'[[candidates]]\nname = "C{index}"\nvendor = "V"\nversion = "1"\ndocuments = [{json.dumps(str(folder))}]\n')
        (base / "campaign.toml").write_text("\n".join(lines), encoding="utf-8")
        campaign = load_campaign(base / "campaign.toml")
        print(f"{count} candidates, {os.cpu_count()} CPUs")
        for jobs in (1, 2, 4, 8):
            started = time.perf_counter()
            _, data = execute(campaign, jobs)
            wall = time.perf_counter() - started
            each = sum(c["duration"] for c in data["candidates"]) / count
            print(f"jobs={jobs}: wall {wall:6.2f} s, mean per candidate {each:5.2f} s, {data['summary']}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8)
