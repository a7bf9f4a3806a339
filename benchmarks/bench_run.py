"""Benchmark of a whole `enrs-harness run` over many documents (run by hand).

Copies the bundled conforming CDA fixtures N times into a temporary folder, runs
`python -m harness run --documents …` on them with the CDA packs, and prints documents per second
end to end (pytest, validation, evidence, results.json snapshots, report.html, certificate) and the
size of what the run wrote. Usage: PYTHONPATH=. python benchmarks/bench_run.py [--copies 250]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKS = ("ci-sis-cda-header", "ci-sis-cda-structure", "ci-sis-cda-volets")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=250, help="copies of each conforming CDA fixture")
    args = parser.parse_args()
    fixtures = sorted((REPO / "fixtures" / "conforming" / "cda").glob("*.xml"))
    with tempfile.TemporaryDirectory() as work:
        documents = Path(work) / "documents"
        documents.mkdir()
        for copy in range(args.copies):
            for fixture in fixtures:
                shutil.copyfile(fixture, documents / f"{fixture.stem}-{copy}.xml")
        count = len(fixtures) * args.copies
        command = [sys.executable, "-m", "harness", "run", "--documents", str(documents),
                   "--quiet", "--report-dir", str(Path(work) / "reports")]
        for pack in PACKS:
            command += ["--profile", pack]
        started = time.perf_counter()
        result = subprocess.run(command, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        [run_dir] = (Path(work) / "reports").iterdir()
        sizes = {p.name: p.stat().st_size for p in run_dir.iterdir()}
    print(f"{count} documents in {elapsed:.2f} s: {count / elapsed:.0f} documents/s end to end (exit {result.returncode})")
    for name, size in sorted(sizes.items()):
        print(f"  {name:<18} {size / 1e6:8.2f} MB")


if __name__ == "__main__":
    main()
