"""`enrs-harness validate` on XDS.b captures: exit status, JSON report with requirement ids, XPath locations,
capture lines and the nested CDA report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_validate_passes_the_conforming_captures(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["validate", "--format", "json", "--lang", "en", str(ROOT / "fixtures" / "conforming" / "xds")])
    output = json.loads(capsys.readouterr().out)
    assert status == 0
    reports = {Path(r["path"]).name: r for r in output["files"]}
    assert len(reports) == 9
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
