"""Hostile ZIPs and MSSanté e-mails, run by hand: `python benchmarks/bench_xdm.py` (from the repository root).

For each hostile package of tests/mssante/test_xdm_zip_safety.py (and a 1 GiB bomb): the time to ABORTED
and the peak memory allocated while judging it (tracemalloc, the input itself excluded), then the rate of
judging the conforming document e-mail (XDM package and CDA validation included).
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "mssante"), str(ROOT / "tests" / "cda")]

from mssante_make_fixtures import document_mail
from test_xdm_zip_safety import HOSTILE, bomb

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.validation.dispatch import validate_bytes

MiB = 1024 * 1024


def main() -> None:
    context = ValidationContext(registry=PackRegistry.load())
    validate_bytes(document_mail(), "warm-up.eml", context)  # compiles what the CDA validator needs
    cases = {name: make for name, (_, make) in HOSTILE.items()}
    cases["bomb-1GiB"] = lambda: bomb(1024 * MiB)
    print(f"{'case':<22}{'input':>12}{'verdict':>10}{'seconds':>10}{'peak MiB':>10}")
    for name, make in cases.items():
        data = make()
        tracemalloc.start()
        started = time.perf_counter()
        report = validate_bytes(data, name, context, kind="xdm")
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{name:<22}{len(data):>12}{report.verdict!s:>10}{elapsed:>10.3f}{peak / MiB:>10.2f}")
    mail = document_mail()
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < 3:
        validate_bytes(mail, "document.eml", context)
        count += 1
    print(f"document e-mail ({len(mail)} bytes, XDM + CDA): {count / (time.perf_counter() - started):.1f} per second")


if __name__ == "__main__":
    main()
