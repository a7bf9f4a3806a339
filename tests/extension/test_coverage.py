"""`enrs-harness profiles coverage`: what evaluates each requirement, or the pack's reason; exit 1 on a gap."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from extension_helpers import REPO

from harness.cli import main

HEAD = ('[pack]\nid = "t"\nversion = "1"\nframework = "T"\ntitle = { fr = "T", en = "T" }\n'
        'source = { document = "T", version = "1", date = "2026-01-01" }\nevaluated_by = "suite:t"\napplies_to = ["https"]\n'
        '[[requirements]]\nid = "T-1"\nlevel = "MUST"\nstatement = { fr = "t", en = "t" }\nsection = "1"\n')


def coverage(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    status = main(["profiles", "coverage", "--format", "json", *args])
    return status, json.loads(capsys.readouterr().out)


def test_every_shipped_requirement_is_evaluated(capsys: pytest.CaptureFixture[str]) -> None:
    status, found = coverage(capsys)
    rows = {r["requirement"]: r for r in found["requirements"]}
    assert status == 0 and found["summary"]["gap"] == 0 and found["summary"]["requirements"] == len(rows) > 200
    assert rows["SM-PATIENT-BIRTHPLACE"]["evaluated_by"] == ["validator:cda cda_checks (1) in ci-sis-cda-header"]
    assert rows["SM-PATIENT-GENDER"]["evaluated_by"] == ["validator:cda rule harness.cda.patient.patient_gender"]
    assert rows["PAMFR-ZFD-01"]["evaluated_by"] == ["validator:hl7v2 hl7v2_checks (1) in ci-sis-pam-fr"]
    assert rows["LPSH2-DOC-01"]["evaluated_by"] == ["validator:hl7v2 rule module cda (harness.hl7v2.rules_cda)"]
    assert rows["SEC-TLS-02"]["evaluated_by"] == ["suite suites/endpoints/test_tls.py::test_tls_1_0_and_1_1_refused"]
    # a suite test that records a whole pack itself (`profile` marker): every requirement of the pack
    assert rows["CISIS-VIHF-03"]["evaluated_by"] == ["suite suites/xds/test_source.py::test_source_vihf"]
    # validators without `evaluates` (data-driven rules): what they evaluated on the bundled conforming artefacts
    assert rows["XDSB-MTOM-01"]["evaluated_by"][0].startswith("validator:xds observed on conforming/xds/")
    assert any(e.startswith("validator:xdm observed on conforming/") for e in rows["XDM-ZIP-01"]["evaluated_by"])


def test_a_data_driven_requirement_no_conforming_fixture_exercises_is_a_gap(monkeypatch: pytest.MonkeyPatch,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from harness.extension import coverage as module

    monkeypatch.setattr(module, "observed_on_fixtures", lambda registry, kinds: {})
    status, found = coverage(capsys)
    gaps = {r["requirement"] for r in found["requirements"] if r["status"] == "gap"}
    assert status == 1 and "XDSB-MTOM-01" in gaps  # (XDM-ZIP-01 stays covered: the mssante suite records its pack itself)
    assert "XDM-ZIP-01" not in gaps


def test_a_requirement_nothing_evaluates_fails_unless_its_pack_says_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "packs").mkdir()
    (tmp_path / "packs" / "t.toml").write_text(HEAD, encoding="utf-8")
    status, found = coverage(capsys, "--profiles-dir", str(tmp_path / "packs"))
    assert status == 1 and found["summary"]["gap"] == 1
    assert [r for r in found["requirements"] if r["status"] == "gap"][0]["requirement"] == "T-1"
    status = main(["profiles", "coverage", "--profiles-dir", str(tmp_path / "packs"), "--lang", "en"])
    out = capsys.readouterr().out
    assert status == 1 and re.search(r"^T-1 +t +MUST +NOTHING EVALUATES IT, NO REASON GIVEN$", out, re.M)
    assert "1 with neither an evaluator nor a reason" in out

    (tmp_path / "packs" / "t.toml").write_text(HEAD + 'not_tested_reason = { fr = "audit sur site", en = "on-site audit" }\n',
                                               encoding="utf-8")
    status, found = coverage(capsys, "--profiles-dir", str(tmp_path / "packs"))
    row = next(r for r in found["requirements"] if r["requirement"] == "T-1")
    assert status == 0 and row["status"] == "not-tested" and row["not_tested_reason"] == {"fr": "audit sur site", "en": "on-site audit"}

    (tmp_path / "suite").mkdir()  # a test of --suites naming it evaluates it
    (tmp_path / "suite" / "test_t.py").write_text('import pytest\n\n@pytest.mark.requirement("T-1")\ndef test_t(enrs):\n    pass\n',
                                                  encoding="utf-8")
    (tmp_path / "packs" / "t.toml").write_text(HEAD, encoding="utf-8")
    status, found = coverage(capsys, "--profiles-dir", str(tmp_path / "packs"), "--suites", str(tmp_path / "suite"))
    row = next(r for r in found["requirements"] if r["requirement"] == "T-1")
    assert status == 0 and row["evaluated_by"] == ["suite suite/test_t.py::test_t"]


def test_the_regional_example_is_covered_by_its_rules_checks_and_suite(example: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    status, found = coverage(capsys)
    rows = {r["requirement"]: r["evaluated_by"] for r in found["requirements"] if r["pack"] == "region-exemple"}
    assert status == 0
    assert rows == {
        "REG-CDA-CUSTODIAN-01": ["validator:cda rule enrs_region_exemple.rules.custodian_finess"],
        "REG-CDA-LANGUAGE-01": ["validator:cda cda_checks (2) in region-exemple"],
        "REG-HL7-SENDER-01": ["validator:hl7v2 rule enrs_region_exemple.rules.sending_facility"],
        "REG-HL7-COUNTRY-01": ["validator:hl7v2 hl7v2_checks (1) in region-exemple"],
        "REG-CDA-AUTHOR-TIME-01": ["suite suites/test_region_exemple.py::test_author_time_to_the_second"],
        "REG-EP-01": ["suite suites/test_region_exemple.py::test_every_endpoint_accepts_a_connection"],
    }


def test_the_ids_a_rule_module_declares_are_those_it_evaluates() -> None:
    """The ids rules_cda and rules_pam register (what coverage reports) against what they evaluate on every HL7 v2 fixture."""
    from harness.config.context import ValidationContext
    from harness.config.packs import PackRegistry
    from harness.hl7v2.registered import module_ids
    from harness.validation.dispatch import validate_bytes

    loaded = PackRegistry.load()
    context = ValidationContext(registry=loaded, selected=loaded.select(["hl7v2-base", "ci-sis-pam-fr", "ci-sis-hl7v2-cda",
                                                                         "ci-sis-hl7v2-lps"]))
    evaluated: set[str] = set()
    for path in sorted((REPO / "fixtures").rglob("*.hl7")):
        evaluated |= set(validate_bytes(path.read_bytes(), str(path), context).evaluated)
    as_cda = {"CDAH2" + r[5:] if r.startswith("LPSH2-") else r for r in evaluated}
    from harness.validation.validators.hl7v2 import _requirements_in

    by_data = {"CDAH2" + r[5:] if r.startswith("LPSH2-") else r  # the packs' own field and segment rules
               for pack in ("ci-sis-hl7v2-cda", "ci-sis-hl7v2-lps") for r in _requirements_in(loaded.get(pack).data["hl7v2"])}
    registered = set(module_ids("harness.hl7v2.rules_cda"))
    assert registered <= as_cda  # every id the module's checks register is evaluated on some fixture
    assert {r for r in as_cda if r.startswith("CDAH2-")} - by_data <= registered  # and no other id comes from it
    assert set(module_ids("harness.hl7v2.rules_pam")) | {"PAMFR-ZFD-01"} <= evaluated
