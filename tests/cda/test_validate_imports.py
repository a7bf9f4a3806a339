"""`validate` imports only what it uses (issue 13: startup): no pytest, no simulator, no cryptography, no kit mode without --kit;
`run` on documents only imports no simulator.

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


def test_a_documents_only_run_imports_no_simulator(tmp_path: Path) -> None:
    """`run` on documents with CDA packs only: no endpoint test is collected, the embedded simulator is neither started
    nor imported (issue 13). Selecting a pack of endpoint tests imports it: the probe sees it."""
    cda = ("--profile", "ci-sis-cda-header", "--profile", "ci-sis-cda-structure", "--profile", "ci-sis-cda-volets")
    modules = _modules_after("run", "--documents", str(FIXTURE), *cda, "--report-dir", str(tmp_path / "cda"), "--quiet")
    assert "harness.run.plugin" in modules and "harness.cda.engine" in modules  # it did run and validate the document
    assert [m for m in modules if m == "harness.simulator" or m.startswith("harness.simulator.")] == []
    results = json.loads(next((tmp_path / "cda").glob("*/results.json")).read_text(encoding="utf-8"))
    assert results["candidate"]["endpoints"] == [] and results["candidate"]["not_started"]

    modules = _modules_after("run", "--documents", str(FIXTURE), "--profile", "ci-sis-mllp-transport", "--report-dir",
                             str(tmp_path / "mllp"), "--quiet")
    assert "harness.simulator" in modules
