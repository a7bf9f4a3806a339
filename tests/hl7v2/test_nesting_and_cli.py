"""The embedded CDA is validated as a child report; `validate` handles HL7 v2 files and folders;
a new trigger event is a data change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import check

from harness.cli import main
from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry, load_pack
from harness.core.errors import HarnessError
from harness.core.verdicts import ArtefactVerdict
from harness.validation.dispatch import validate_bytes
from harness.validation.validators import hl7v2 as validator

import builders as b

ROOT = Path(__file__).resolve().parents[2]


def test_embedded_cda_is_a_child_report(context) -> None:
    report = check(b.document_message("ORU"), context, "oru.hl7")
    assert len(report.children) == 1
    child = report.children[0]
    assert child.kind == "cda" and child.path == "oru.hl7#OBX-5.5@6"
    assert child.verdict is ArtefactVerdict.PASSED and "CDAH2-DOC-03" in report.evaluated
    assert child.evaluated  # the CDA validator's own requirements, nested under the message


def test_real_embedded_findings_fail_the_message(context) -> None:
    """Our minimal CDA lacks author, custodian…: the CDA validator's findings are nested, the message FAILS."""
    report = check(b.document_message("ORU", document=b.cda()), context, "oru.hl7")
    assert report.verdict is ArtefactVerdict.FAILED
    assert {f.requirement for f in report.findings if f.severity == "error"} == {"CDAH2-DOC-03"}
    nested = {f.requirement for f in report.children[0].findings}
    assert {"SM-AUTHOR", "SM-CUSTODIAN"} <= nested
    assert {"SM-AUTHOR", "SM-CUSTODIAN"} <= {f.requirement for f in report.all_findings()}


def test_failed_child_fails_the_message(context, monkeypatch) -> None:
    from harness.core.findings import ArtefactReport, Finding, Severity
    from harness.hl7v2 import rules_cda

    def fake(data, path, ctx, parsed):
        return ArtefactReport(path, "", "cda", ArtefactVerdict.FAILED, [Finding("X-1", Severity.ERROR, "x", "x")], ["X-1"])

    monkeypatch.setattr(rules_cda, "validate_embedded", fake)
    report = check(b.document_message("ORU"), context)
    assert report.verdict is ArtefactVerdict.FAILED and {f.requirement for f in report.findings} == {"CDAH2-DOC-03"}
    assert "X-1" in {f.requirement for f in report.all_findings()}


def test_embedded_cda_is_parsed_once(context, monkeypatch) -> None:
    """The decoded CDA is parsed once: the tree of the message's cross-checks is the one the CDA validator reads."""
    import sys

    import harness.cda

    parse_module = sys.modules["harness.cda.parse"]
    calls = []
    real = parse_module.parse

    def counting(data, max_bytes):
        calls.append(len(data))
        return real(data, max_bytes)

    monkeypatch.setattr(parse_module, "parse", counting)
    monkeypatch.setattr(harness.cda, "parse", counting)
    report = check(b.document_message("ORU"), context, "oru.hl7")
    assert report.children[0].verdict is ArtefactVerdict.PASSED and len(calls) == 1


def test_documents_past_the_limit_are_not_decoded(context, monkeypatch) -> None:
    """1,000 document OBX in an ORU (limit 2): one finding says so, and only 2 are decoded."""
    from harness.hl7v2 import rules_cda

    decoded = []
    real = rules_cda.decode_base64
    monkeypatch.setattr(rules_cda, "decode_base64", lambda text: (decoded.append(1), real(text))[1])
    oru = b.document_message("ORU")
    document = next(line for line in oru.split("\r") if line.startswith("OBX|1|ED|"))
    report = check(b.insert_after(oru, "OBX", "\r".join([document] * 999)), context, "oru.hl7")
    assert len(decoded) == 2 and len(report.children) == 2
    limit = [f for f in report.findings if f.requirement == "CDAH2-DOC-01"]
    assert len(limit) == 1 and "1000 document OBX" in limit[0].message_en and "only the first 2" in limit[0].message_en


def test_detect() -> None:
    assert validator.detect(b.adt("A01").encode()) and validator.detect(b"\x0b" + b.adt("A01").encode())
    assert not validator.detect(b"<ClinicalDocument/>") and not validator.detect(b"MSHA")


def test_validate_command_on_folders(capsys) -> None:
    assert main(["validate", str(ROOT / "fixtures/conforming/hl7v2"), "--format", "json"]) == 0
    output = json.loads(capsys.readouterr().out)
    assert output["summary"]["PASSED"] == len(list((ROOT / "fixtures" / "conforming" / "hl7v2").iterdir()))
    assert any("PAMFR-INS-03" in f["evaluated"] for f in output["files"])
    assert main(["validate", str(ROOT / "fixtures/nonconforming/hl7v2")]) == 1


def test_a_new_trigger_event_is_a_data_change(tmp_path: Path) -> None:
    text = (ROOT / "profiles/ci-sis-pam-fr.toml").read_text(encoding="utf-8")
    text = text.replace('id = "ci-sis-pam-fr"', 'id = "pam-extended"').replace('id = "PAMFR-', 'id = "PAMX-').replace('"PAMFR-', '"PAMX-')
    text += '\n[data.hl7v2.events."ADT^A14"]\nstructure = "ADT_A05"\nzbe_action = "INSERT"\n'
    (tmp_path / "pam-extended.toml").write_text(text, encoding="utf-8")
    registry = PackRegistry([load_pack(tmp_path / "pam-extended.toml"), *PackRegistry.load().packs.values()])
    context = ValidationContext(registry=registry, selected=[registry.get("pam-extended"), registry.get("hl7v2-base")])
    message = b.set_field(b.adt("A05"), "MSH", 9, "ADT^A14^ADT_A05")
    report = validate_bytes(message.encode(), "a14.hl7", context)
    assert report.verdict is ArtefactVerdict.PASSED and report.profile == "pam-extended ADT^A14"


def test_broken_profile_data_is_a_clear_error(tmp_path: Path) -> None:
    from harness.hl7v2.profiles import compile_profile

    with pytest.raises(HarnessError, match="structure"):
        compile_profile("x", {"versions": ["2.5"], "events": {"ADT^A01": {"structure": "NOPE"}}}, {}, ())
    with pytest.raises(HarnessError, match="unbalanced|missing"):
        compile_profile("x", {"versions": ["2.5"], "structures": {"S": {"syntax": "MSH [PID"}}, "events": {"ADT^A01": {"structure": "S"}}},
                        {}, ())


def test_message_type_of_no_selected_pack_is_aborted(capsys) -> None:
    """Validating an ORU with only the PAM FR pack selected: nothing to evaluate it against."""
    assert main(["validate", str(ROOT / "fixtures/conforming/hl7v2/oru-r01.hl7"),
                 "--profile", "ci-sis-pam-fr", "--profile", "hl7v2-base"]) == 2
    assert "ABORTED" in capsys.readouterr().out
    assert main(["validate", str(ROOT / "fixtures/conforming/hl7v2/adt-a01.hl7"),
                 "--profile", "ci-sis-pam-fr", "--profile", "hl7v2-base"]) == 0
