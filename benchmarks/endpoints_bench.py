"""Timings of the endpoint machinery (run by hand: `python benchmarks/endpoints_bench.py`)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.pki import build_pki
from harness.simulator import Simulator


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        pki = build_pki(Path(tmp) / "pki")
        print(f"pki init (15 leaves, ECDSA P-256 + one RSA-1024): {time.perf_counter() - started:.3f} s")
        started = time.perf_counter()
        simulator = Simulator(pki).start()
        print(f"simulator start: {time.perf_counter() - started:.3f} s")
        target = Path(tmp) / "target.toml"
        target.write_text(simulator.target_toml(), encoding="utf-8")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", str(REPO / "suites" / "endpoints"), "-c", str(REPO / "suites" / "pytest.ini"),
                        "--rootdir", str(REPO / "suites"), "-p", "no:cacheprovider", "-q", "--enrs-target", str(target),
                        "--enrs-run-dir", str(Path(tmp) / "run")], cwd=REPO, check=False, capture_output=True)
        print(f"endpoint suite on the conforming simulator (fresh process, 68 tests): {time.perf_counter() - started:.3f} s")
        started = time.perf_counter()
        simulator.stop()
        print(f"simulator stop: {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main()
