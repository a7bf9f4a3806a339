"""`enrs-harness validate` on XDS.b captures: exit status, JSON report with requirement ids, XPath locations,
capture lines and the nested CDA report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_validate_passes_the_conforming_captures(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["validate", "--format", "json", "--lang", "en", str(ROOT / "fixtures" / "conforming" / "xds")])
    output = json.loads(capsys.readouterr().out)
    assert status == 0
    reports = {Path(r["path"]).name: r for r in output["files"]}
    assert len(reports) == 10  # with dsg/iti41-signed-request.mtom
    assert all(r["verdict"] == "PASSED" and r["kind"] == "xds" for r in reports.values())
    assert reports["iti41-request.mtom"]["children"][0]["kind"] == "cda"


def test_validate_fails_the_nonconforming_capture_with_requirement_location_and_line(capsys: pytest.CaptureFixture[str]) -> None:
    path = ROOT / "fixtures" / "nonconforming" / "xds" / "iti41-creation-time-not-utc.mtom"
    status = main(["validate", "--format", "json", str(path)])
    output = json.loads(capsys.readouterr().out)
    assert status == 1
    (report,) = output["files"]
    (error,) = [f for f in report["findings"] if f["severity"] == "error"]
    assert error["requirement"] == "XDSFR-CDA-02" and error["location"].endswith("/rim:ExtrinsicObject[1]")
    assert b"ExtrinsicObject" in path.read_bytes().split(b"\n")[error["line"] - 1]


# -- a target whose submissions go to the DMP: its [scope] profiles claim the opt-in pack ci-sis-xds-dmp ------------
PLAIN = ROOT / "fixtures" / "conforming" / "xds" / "iti41-request.mtom"
SIGNED = ROOT / "fixtures" / "conforming" / "xds" / "dsg" / "iti41-signed-request.mtom"


def _target(folder: Path, profiles: list[str], documents: list[Path]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "target.toml"
    path.write_text('[candidate]\nname = "LPS"\nvendor = "Editeur"\nversion = "1.0"\n\n'
                    f"[documents]\npaths = {json.dumps([str(d) for d in documents])}\n\n"
                    f'[scope]\nroles = ["xds-document-source"]\nprofiles = {json.dumps(profiles)}\n', encoding="utf-8")
    return path


def _run(tmp_path: Path, profiles: list[str], documents: list[Path]) -> tuple[int, dict[str, str]]:
    target = _target(tmp_path, profiles, documents)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ENRS_LANG": "en"}
    process = subprocess.run([sys.executable, "-m", "harness", "run", "--quiet", "--target", str(target), "--report-dir",
                              str(tmp_path / "runs")], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    (results,) = (tmp_path / "runs").glob("*/results.json")
    rows = json.loads(results.read_text(encoding="utf-8"))["requirements"]
    return process.returncode, {r["id"]: r["verdict"] for r in rows}


@pytest.mark.slow
def test_a_dmp_target_run_fails_the_unsigned_submission_and_passes_the_signed_one(tmp_path: Path) -> None:
    status, verdicts = _run(tmp_path / "unsigned", ["ihe-xds-b", "ci-sis-xds", "ci-sis-xds-dmp"], [PLAIN])
    assert status == 1 and verdicts["XDSFR-DMP-01"] == "FAILED"
    assert [r for r, v in verdicts.items() if v == "FAILED"] == ["XDSFR-DMP-01"]
    status, verdicts = _run(tmp_path / "only-signed", ["ihe-xds-b", "ci-sis-xds", "ci-sis-xds-dmp"], [SIGNED])
    assert status == 0 and verdicts["XDSFR-DMP-01"] == "PASSED" and verdicts["XDSFR-SIG-06"] == "PASSED"
    status, verdicts = _run(tmp_path / "not-dmp", ["ihe-xds-b", "ci-sis-xds"], [PLAIN])
    assert status == 0 and "XDSFR-DMP-01" not in verdicts  # not claimed: not selected, not in the run


def test_profiles_list_says_which_pack_is_opt_in(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles", "list", "--lang", "en"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("ci-sis-xds")]
    assert [line.split()[0:2] for line in lines] == [["ci-sis-xds-dmp", "(opt-in)"], ["ci-sis-xds", "1.0.0"]]
    assert main(["profiles", "list", "--format", "json"]) == 0
    packs = {p["id"]: p["opt_in"] for p in json.loads(capsys.readouterr().out)}
    assert packs["ci-sis-xds-dmp"] is True and packs["ci-sis-xds"] is False


def _run_documents(tmp_path: Path, document: Path, *extra: str) -> dict[str, str]:
    tmp_path.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ENRS_LANG": "en"}
    subprocess.run([sys.executable, "-m", "harness", "run", "--quiet", "--documents", str(document), "--profile", "ci-sis-xds",
                    "--report-dir", str(tmp_path), *extra], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    (results,) = tmp_path.glob("*/results.json")
    return {r["id"]: r["verdict"] for r in json.loads(results.read_text(encoding="utf-8"))["requirements"]}


@pytest.mark.slow
def test_run_judges_the_dsg_signer_with_the_trust_store_given(tmp_path: Path) -> None:
    trust = ROOT / "fixtures" / "trust" / "dsg-test-root.pem"
    outsider = ROOT / "fixtures" / "nonconforming" / "xds" / "dsg" / "iti41-sig05-signer-outside-trust-store.mtom"
    assert _run_documents(tmp_path / "signed", SIGNED, "--vihf-trust", str(trust))["XDSFR-SIG-05"] == "PASSED"
    assert _run_documents(tmp_path / "outsider", outsider, "--vihf-trust", str(trust))["XDSFR-SIG-05"] == "FAILED"
    assert _run_documents(tmp_path / "no-store", outsider)["XDSFR-SIG-05"] != "FAILED"  # no trust store: the signer is not judged


def test_a_missing_trust_store_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "absent.pem"
    status = main(["validate", "--lang", "en", "--vihf-trust", str(missing), str(SIGNED)])
    assert status != 0 and f"VIHF trust store not found: {missing}" in capsys.readouterr().err
