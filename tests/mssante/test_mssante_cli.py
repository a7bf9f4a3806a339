"""`validate` and `run --documents` on XDM packages and MSSanté e-mails: verdicts, ids, locations, run verdicts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main

REPO = Path(__file__).resolve().parents[2]
CONFORMING = REPO / "fixtures" / "conforming" / "mssante"
NONCONFORMING = REPO / "fixtures" / "nonconforming" / "mssante"


def test_validate_json_names_ids_and_locations(capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((REPO / "harness" / "schemas" / "validate.schema.json").read_text(encoding="utf-8"))
    assert main(["validate", str(CONFORMING), "--format", "json"]) == 0
    jsonschema.validate(json.loads(capsys.readouterr().out), schema)
    assert main(["validate", str(NONCONFORMING / "mss-xh-01.eml"), str(NONCONFORMING / "xdm-lay-01.zip"), "--format", "json"]) == 1
    output = json.loads(capsys.readouterr().out)
    jsonschema.validate(output, schema)
    findings = {(f["requirement"], f["location"]) for a in output["files"] for f in a["findings"] if f["severity"] == "error"}
    assert findings == {("MSS-XH-01", "X-MSS-CODECDA"), ("XDM-LAY-01", "README.TXT")}


def test_run_documents_judges_the_requirements_and_blocks_on_a_mutant(tmp_path: Path) -> None:
    documents = tmp_path / "documents"
    documents.mkdir()
    for name in ("document.eml", "receipt.eml", "receipt-error.eml", "error.eml", "IHE_XDM.ZIP"):
        (documents / name).write_bytes((CONFORMING / name).read_bytes())
    (documents / "mss-mask-01.eml").write_bytes((NONCONFORMING / "mss-mask-01.eml").read_bytes())
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "harness", "run", "--quiet", "--report-dir", str(tmp_path / "runs"),
                           "--profile", "mssante-exchange", "--profile", "ihe-xdm", "--documents", str(documents)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    (results_path,) = (tmp_path / "runs").glob("*/results.json")
    results = json.loads(results_path.read_text(encoding="utf-8"))
    assert done.returncode == 1 and not results["summary"]["certificate_issued"]
    verdicts = {r["id"]: r["verdict"] for r in results["requirements"]}
    assert verdicts.pop("MSS-MASK-01") == "FAILED"
    assert set(verdicts.values()) == {"PASSED"}, {k: v for k, v in verdicts.items() if v != "PASSED"}
    kinds = {a["name"]: a["kind"] for a in results["artefacts"]}
    assert kinds["document.eml"] == "email" and kinds["IHE_XDM.ZIP"] == "xdm"
