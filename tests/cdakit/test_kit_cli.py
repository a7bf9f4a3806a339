"""`enrs-harness validate --kit DIR` end to end (the CDA validator calls kit mode)."""

from __future__ import annotations

import json

from harness.cdakit.layout import kit_pack_dir
from harness.cli import main
from harness.config.packs import load_pack


def _validate(capsys, lab, *paths: str) -> tuple[int, dict]:
    status = main(["validate", "--kit", str(lab.mini_kit), "--profiles-dir", str(kit_pack_dir()),
                   "--profile", "ci-sis-cda-kit", "--format", "json", *paths])
    return status, json.loads(capsys.readouterr().out)


def test_validate_with_the_kit_passes_a_conforming_document(capsys, lab):
    status, output = _validate(capsys, lab, str(lab.mini_kit.parent / "documents" / "vsm-n3.xml"))
    assert status == 0
    [report] = output["files"]
    assert report["verdict"] == "PASSED"
    assert {"CISIS-KIT-XSD", "CISIS-KIT-SCH-STRUCMIN", "CISIS-KIT-SCH-VOLET"} <= set(report["evaluated"])


def test_validate_with_the_kit_fails_a_broken_document(capsys, lab, tmp_path):
    path = tmp_path / "broken.xml"
    path.write_bytes(lab.document("vsm-n3.xml",
                                  ('<templateId root="1.2.250.1.213.1.1.2.29"/>', '<templateId root="1.2.250.1.213.1.1.2.28"/>')))
    status, output = _validate(capsys, lab, str(path))
    assert status == 1
    [report] = output["files"]
    assert report["verdict"] == "FAILED"
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert [f["requirement"] for f in errors] == ["CISIS-KIT-SCH-VOLET"]
    assert errors[0]["line"] and errors[0]["location"].endswith("/structuredBody[1]")
    assert "id=MK-VSM-01" in errors[0]["message"]["fr"]


def test_validate_with_a_kit_loads_the_kit_pack_by_itself_and_reports_the_kit(capsys, lab):
    status = main(["validate", "--kit", str(lab.mini_kit), "--profile", "ci-sis-cda-kit", "--format", "json",
                   str(lab.mini_kit.parent / "documents" / "vsm-n3.xml")])
    output = json.loads(capsys.readouterr().out)
    pack = load_pack(kit_pack_dir() / "ci-sis-cda-kit.toml")
    assert status == 0 and output["profiles"] == [{"id": "ci-sis-cda-kit", "version": pack.version}]
    assert output["kit"]["xsd"]["sha256"] and output["kit"]["path"] == str(lab.mini_kit.resolve())


def test_run_with_a_kit_gives_the_kit_requirements_verdicts_and_records_the_kit(lab, tmp_path):
    reports = tmp_path / "reports"
    status = main(["run", "--kit", str(lab.mini_kit), "--profile", "ci-sis-cda-kit", "--quiet",
                   "--documents", str(lab.mini_kit.parent / "documents" / "vsm-n3.xml"), "--report-dir", str(reports)])
    [run_dir] = reports.iterdir()
    results = json.loads((run_dir / "results.json").read_text())
    verdicts = {r["id"]: r["verdict"] for r in results["requirements"]}
    assert verdicts["CISIS-KIT-XSD"] == "PASSED" and verdicts["CISIS-KIT-SCH-VOLET"] == "PASSED"
    assert results["run"]["kit"]["path"] == str(lab.mini_kit.resolve())
    assert set(verdicts.values()) == {"PASSED"}  # the mini kit exercises every kit requirement on this document
    assert results["summary"]["certificate_issued"] is True and status == 0
