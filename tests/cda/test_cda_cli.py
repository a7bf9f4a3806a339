"""`validate` and `run` on CDA documents, from the command line."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main

from cda_mutants import FIXTURES, MUTANTS

REPO = Path(__file__).resolve().parents[2]
NONCONFORMING = REPO / "fixtures" / "nonconforming"


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    status = main(["validate", *args, "--format", "json"])
    return status, json.loads(capsys.readouterr().out)


def test_conforming_folder_exits_0_with_documented_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, output = run_json(capsys, str(FIXTURES))
    assert status == 0
    assert output["schema"] == "enrs-harness/validate/1"
    assert output["summary"] == {"PASSED": 6, "FAILED": 0, "ABORTED": 0}
    files = {Path(f["path"]).name: f for f in output["files"]}
    assert set(files) == {p.name for p in FIXTURES.glob("*.xml")}
    bio = files["cr-bio-2024.xml"]
    assert bio["sha256"] == hashlib.sha256((FIXTURES / "cr-bio-2024.xml").read_bytes()).hexdigest()
    assert (bio["kind"], bio["profile"], bio["version"], bio["verdict"], bio["findings"]) == ("cda", "CR-BIO", "2024.01", "PASSED", [])
    assert "VOL-CRBIO-PDF" in bio["evaluated"]


def test_mutant_exits_1_with_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mutant = next(m for m in MUTANTS if m.requirement == "SM-TELECOM")
    path = tmp_path / "mutant.xml"
    path.write_bytes(mutant.build())
    status, output = run_json(capsys, str(path))
    assert status == 1
    (report,) = output["files"]
    assert report["verdict"] == "FAILED"
    (finding,) = report["findings"]
    assert finding["requirement"] == "SM-TELECOM"
    assert finding["severity"] == "error"
    assert finding["location"] == mutant.location
    assert isinstance(finding["line"], int)
    assert finding["message"]["fr"] and finding["message"]["en"]


@pytest.mark.parametrize("content", [b"\x00\xffgarbage", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                                                         b'<ClinicalDocument xmlns="urn:hl7-org:v3">&e;</ClinicalDocument>'],
                         ids=["garbage", "xxe"])
def test_unreadable_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    status, output = run_json(capsys, str(path))
    assert status == 2
    assert output["files"][0]["verdict"] == "ABORTED" and output["files"][0]["reason"]


def test_text_output_and_jobs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(NONCONFORMING / "cda"), "--jobs", "2", "--lang", "en"]) == 2
    text = capsys.readouterr().out
    assert "SM-TELECOM" in text and "VOL-VSM-SECTIONS" in text and "ABORTED" in text
    assert "/ClinicalDocument/recordTarget[1]/patientRole[1]/telecom[1]/@value" in text


def _run(tmp_path: Path, *extra: str) -> tuple[int, dict]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "harness", "run", "--quiet", "--report-dir", str(tmp_path), *extra],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    (results,) = tmp_path.glob("*/results.json")
    return done.returncode, json.loads(results.read_text(encoding="utf-8"))


def test_run_validates_the_bundled_cda_fixtures_and_issues_a_certificate(tmp_path: Path) -> None:
    status, results = _run(tmp_path, "--profile", "ci-sis-cda-structure", "--profile",
                           "ci-sis-cda-header", "--profile", "ci-sis-cda-volets")
    assert status == 0 and results["summary"]["certificate_issued"]
    names = {a["name"]: a for a in results["artefacts"]}
    assert {"cr-bio-2024.xml", "n1-pdf.xml", "vsm-2023.xml"} <= set(names)
    assert all(a["verdict"] == "PASSED" and len(a["sha256"]) == 64 for a in names.values() if a["kind"] == "cda")
    certificate = next(tmp_path.glob("*/certificate.html")).read_text(encoding="utf-8")
    assert names["cr-bio-2024.xml"]["sha256"] in certificate


def test_run_refuses_the_nonconforming_documents(tmp_path: Path) -> None:
    status, results = _run(tmp_path, "--profile", "ci-sis-cda-header", "--documents", str(NONCONFORMING / "cda"))
    assert status == 1 and not results["summary"]["certificate_issued"]
    verdicts = {r["id"]: r["verdict"] for r in results["requirements"]}
    assert verdicts["SM-TELECOM"] == "FAILED" and verdicts["SM-N1-TEMPLATEIDS"] == "FAILED"


def test_json_output_follows_the_documented_schema(capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((REPO / "harness" / "schemas" / "validate.schema.json").read_text(encoding="utf-8"))
    status, output = run_json(capsys, str(FIXTURES), str(NONCONFORMING / "cda"))
    assert status == 2
    jsonschema.validate(output, schema)
    assert output["summary"] == {"PASSED": 6, "FAILED": 2, "ABORTED": 1}


def _cr_bio_2024_without_extension(tmp_path: Path) -> Path:
    path = tmp_path / "docs" / "cr-bio-2024-no-extension.xml"
    path.parent.mkdir()
    path.write_bytes((FIXTURES / "cr-bio-2024.xml").read_bytes().replace(b' extension="2024.01"', b"", 1))
    return path


def test_validate_volet_version_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without extension a CR-BIO is of version 2021.01 (its PDF section fails); --volet-version CR-BIO=2024.01 says otherwise."""
    path = _cr_bio_2024_without_extension(tmp_path)
    status, output = run_json(capsys, str(path))
    (report,) = output["files"]
    assert (status, report["version"]) == (1, "2021.01")
    assert {f["requirement"] for f in report["findings"] if f["severity"] == "error"} == {"VOL-CRBIO-LEVEL1"}
    status, output = run_json(capsys, str(path), "--volet-version", "cr-bio=2024.01")
    (report,) = output["files"]
    assert (status, report["version"], report["verdict"]) == (0, "2024.01", "PASSED")
    [finding] = report["findings"]
    assert finding["requirement"] == "VOL-VERSION-APPLIED" and "--volet-version" in finding["message"]["en"]
    assert main(["validate", str(path), "--volet-version", "CR-BIO"]) == 2
    assert "VOLET=VERSION" in capsys.readouterr().err


def test_run_volet_version_override(tmp_path: Path) -> None:
    path = _cr_bio_2024_without_extension(tmp_path)
    for override, verdict in (([], "FAILED"), (["--volet-version", "CR-BIO=2024.01"], "PASSED")):
        out = tmp_path / verdict
        out.mkdir()
        _status, results = _run(out, "--profile", "ci-sis-cda-volets", "--documents", str(path), *override)
        (artefact,) = [a for a in results["artefacts"] if a["kind"] == "cda"]
        assert artefact["verdict"] == verdict
