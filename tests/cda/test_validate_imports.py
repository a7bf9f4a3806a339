"""`validate` imports only what it uses (issue 13: startup): no pytest, no simulator, no cryptography, no kit mode without --kit.

Checked in a fresh interpreter (the test process has everything imported already). The same probe on
`run --help`, which does load the pytest plugin, shows that the probe sees such imports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "conforming" / "cda" / "n1-pdf.xml"
UNUSED = ("pytest", "_pytest", "cryptography", "harness.simulator", "harness.cdakit", "harness.run", "harness.pki")
PROBE = """
import contextlib, io, json, sys
from harness.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {"pytest", "_pytest", "cryptography"} or m.startswith("harness."))))
"""


def _modules_after(*argv: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def _unused(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == u or m.startswith(u + ".") for u in UNUSED))


def test_validate_imports_no_unused_module() -> None:
    modules = _modules_after("validate", "--format", "json", str(FIXTURE))
    assert "harness.cda.engine" in modules  # it did validate a CDA document
    assert _unused(modules) == []


def test_the_probe_sees_a_command_that_loads_pytest() -> None:
    assert "pytest" in _unused(_modules_after("run", "--help"))
