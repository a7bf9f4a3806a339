"""Waivers on a single run: applied, expired (and said so), other candidates', bad files."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from .conftest import REPO, TOY, cli, harness, toy_run, write_target

VALID = """
[[waivers]]
requirement = "TOYC-002"
candidate = "DPI Exemple"
justification = "Mot réservé accepté jusqu'à la version 3"
approver = "ARS Exemple, cellule interopérabilité"
expires = 2099-12-31
"""
EXPIRED = VALID.replace("2099-12-31", "2020-01-31")


def _waivers(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "waivers.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def broken_target(tmp_path: Path) -> Path:
    return write_target(tmp_path / "target.toml", "DPI Exemple", TOY / "documents" / "broken")


def _verdicts(run_dir: Path) -> dict[str, str]:
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    return {r["id"]: r["verdict"] for r in results["requirements"]}


def test_without_waiver_the_requirement_fails(tmp_path: Path, broken_target: Path) -> None:
    process, run_dir = toy_run(tmp_path / "r", broken_target)
    assert process.returncode == 1
    assert _verdicts(run_dir)["TOYC-002"] == "FAILED"
    report = html.unescape((run_dir / "report.html").read_text(encoding="utf-8"))
    assert 'enrs-verdict v-FAILED' in report and 'enrs-verdict v-WAIVED' not in report


def test_valid_waiver_turns_failed_into_waived_everywhere(tmp_path: Path, broken_target: Path, issuer: Path) -> None:
    process, run_dir = toy_run(tmp_path / "r", broken_target, "--waivers", _waivers(tmp_path, VALID), "--sign-with", issuer)
    assert process.returncode == 0, process.stdout  # WAIVED does not block the certificate
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    row = next(r for r in results["requirements"] if r["id"] == "TOYC-002")
    assert row["verdict"] == "WAIVED" and row["waiver"]["approver"] == "ARS Exemple, cellule interopérabilité"
    assert _verdicts(run_dir)["TOYC-001"] == "PASSED"
    assert results["summary"]["certificate_issued"] is True and results["summary"]["verdicts"]["WAIVED"] == 1
    assert [w["status"] for w in results["waivers"]] == ["applied"]
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(results, json.loads((REPO / "harness" / "schemas" / "results.schema.json").read_text(encoding="utf-8")))
    assert "Waiver TOYC-002: applied" in process.stdout
    certificate = (run_dir / "certificate.html").read_text(encoding="utf-8")
    assert "Subject to the waivers listed below." in certificate
    assert re.search(r"data-verdict=[\"']WAIVED[\"']",
                     certificate) and "<tr data-requirement='TOYC-002' data-status='applied'>" in certificate
    report = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "<table id='enrs-waivers'>" in report and "<tr data-requirement='TOYC-002' data-status='applied'>" in report
    assert 'enrs-verdict v-WAIVED' in html.unescape(report) and 'enrs-verdict v-FAILED' not in html.unescape(report)  # one verdict column
    verified = cli("certificate", "verify", run_dir / "certificate.html", "--trust", issuer / "issuer-cert.pem", "--format", "json")
    payload = json.loads(verified.stdout)["certificate"]
    assert verified.returncode == 0
    assert payload["waivers"] == [{"requirement": "TOYC-002", "justification": "Mot réservé accepté jusqu'à la version 3",
                                   "approver": "ARS Exemple, cellule interopérabilité", "expires": "2099-12-31", "status": "applied"}]


def test_removing_a_waiver_from_a_signed_page_is_detected(tmp_path: Path, broken_target: Path, issuer: Path) -> None:
    _, run_dir = toy_run(tmp_path / "r", broken_target, "--waivers", _waivers(tmp_path, VALID), "--sign-with", issuer)
    page = (run_dir / "certificate.html").read_text(encoding="utf-8")
    start = page.index("<tr data-requirement='TOYC-002' data-status='applied'>")
    forged = tmp_path / "forged.html"
    forged.write_text(page[:start] + page[page.index("</tr>", start) + 5:], encoding="utf-8")
    process = cli("certificate", "verify", forged, "--trust", issuer / "issuer-cert.pem")
    assert process.returncode == 1 and "waivers: the page shows []" in process.stdout


def test_expired_waiver_is_ignored_and_says_so(tmp_path: Path, broken_target: Path) -> None:
    process, run_dir = toy_run(tmp_path / "r", broken_target, "--waivers", _waivers(tmp_path, EXPIRED))
    assert process.returncode == 1
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    row = next(r for r in results["requirements"] if r["id"] == "TOYC-002")
    assert row["verdict"] == "FAILED"
    assert "waiver expired on 2020-01-31, ignored" in row["reasons"][0]["reason"]
    assert [w["status"] for w in results["waivers"]] == ["expired"]
    assert "Waiver TOYC-002: EXPIRED — ignored" in process.stdout
    certificate = (run_dir / "certificate.html").read_text(encoding="utf-8")
    assert "<tr data-requirement='TOYC-002' data-status='expired'>" in certificate and "EXPIRED — ignored" in certificate


def test_waivers_of_other_candidates_or_versions_do_not_apply(tmp_path: Path, broken_target: Path) -> None:
    text = VALID.replace('candidate = "DPI Exemple"', 'candidate = "Autre DPI"') + VALID.replace(
        'candidate = "DPI Exemple"', 'candidate = "DPI Exemple"\nversion = "9.9"')
    process, run_dir = toy_run(tmp_path / "r", broken_target, "--waivers", _waivers(tmp_path, text))
    assert process.returncode == 1
    assert _verdicts(run_dir)["TOYC-002"] == "FAILED"
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    assert results["waivers"] == []
    # never silent: counted (not named: they are other vendors' decisions) in results and in the summary
    assert results["waivers_other_candidates"] == 2
    said = " ".join(process.stdout.split())  # the summary wraps long lines
    assert "2 waiver(s) of the file name other candidates or versions: not applied (this candidate: « DPI Exemple » 2.3)" in said


def test_waiver_for_a_passing_requirement_is_listed_as_not_needed(tmp_path: Path) -> None:
    target = write_target(tmp_path / "target.toml", "DPI Exemple", TOY / "documents" / "good")
    process, run_dir = toy_run(tmp_path / "r", target, "--waivers", _waivers(tmp_path, VALID))
    assert process.returncode == 0
    assert _verdicts(run_dir)["TOYC-002"] == "PASSED"
    assert [w["status"] for w in json.loads((run_dir / "results.json").read_text(encoding="utf-8"))["waivers"]] == ["not_needed"]


@pytest.mark.parametrize(("text", "message"), [
    (VALID.replace("TOYC-002", "TOYC-999"), "unknown requirement: TOYC-999"),
    (VALID.replace('approver = "ARS Exemple, cellule interopérabilité"\n', ""), "[[waivers]] #1 approver: required field missing"),
    (VALID.replace("2099-12-31", '"soon"'), "expected a TOML date (YYYY-MM-DD), found a string 'soon'"),
    (VALID + 'colour = "blue"\n', "unknown field 'colour'"),
    ("[[waivers]\n", "invalid TOML"),
])
def test_bad_waivers_file_is_a_clear_error(tmp_path: Path, broken_target: Path, text: str, message: str) -> None:
    process = harness("run", "--profile", "toy-certs", "--profiles-dir", TOY / "profiles", "--suites", TOY / "suites",
                      "--target", broken_target, "--report-dir", tmp_path / "r", "--waivers", _waivers(tmp_path, text))
    assert process.returncode == 2
    assert message in process.stdout + process.stderr
    assert "Traceback" not in process.stderr
