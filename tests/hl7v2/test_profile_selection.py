"""The profile and version a message declares (MSH-21, every repetition; MSH-9; MSH-12) choose the rules
it is judged by; a declared version the packs do not know gets one HL7V2-PRF-01 finding and only the
checks that stay valid whatever the profile (syntax, the standard's structure and data types)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import check, failing

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.findings import Severity
from harness.core.verdicts import ArtefactVerdict

import builders as b

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "conforming" / "hl7v2"
s, drop, after = b.set_field, b.drop_segment, b.insert_after
T02 = b.document_message("MDM", "T02")
A01 = b.adt("A01")


def volet_2_0_mdm() -> str:
    """An MDM written the way volet 2.0 allowed: no ORC/OBR group, TXA-17 LA, Y/N coded ^^HL70136."""
    message = s(drop(drop(T02, "ORC"), "OBR"), "MSH", 21, "2.0^CISIS_CDA_HL7_V2")
    return s(message, "TXA", 17, "LA").replace("^^expandedYes-NoIndicator", "^^HL70136")


def lps_mdm(version: str) -> str:
    """An MDM of the LPS volet: an e-mail OBX (Message-ID^subject, base64 body) and its own metadata."""
    message = s(T02, "MSH", 21, f"{version}^CISIS_CDA_HL7_LPS")
    mail = "OBX|2|ED|1^XDM/1.0/DDM+Compte rendu||^text^^Base64^Q29ycHMgZHUgY291cnJpZWw=||||||F"
    return after(message, "PRT", mail)


@pytest.mark.parametrize("build, declared", [(volet_2_0_mdm, "CISIS_CDA_HL7_V2 2.0"), (lambda: lps_mdm("1.0"), "CISIS_CDA_HL7_LPS 1.0"),
                                              (lambda: lps_mdm("1.2"), "CISIS_CDA_HL7_LPS 1.2")])
def test_unsupported_declared_version_gets_one_finding_and_base_checks_only(build, declared, context) -> None:
    report = check(build(), context)
    assert report.verdict is ArtefactVerdict.ABORTED and declared in report.reason
    assert failing(report) == {"HL7V2-PRF-01"}
    (finding,) = [f for f in report.findings if f.severity is not Severity.INFO]
    assert f"{declared} not supported for MDM^T02; supported: CISIS_CDA_HL7_LPS 1.1, CISIS_CDA_HL7_V2 2.1" in finding.message_en
    assert not any(r.startswith(("CDAH2-", "LPSH2-")) for r in report.evaluated) and report.children == []  # never another version's rules
    assert {"HL7V2-SYN-01", "HL7V2-STR-01", "HL7V2-DT-01"} <= set(report.evaluated)
    assert report.profile == "HL7 2.6 MDM_T02 (base)"


def test_unsupported_version_still_fails_on_the_base_standard(context) -> None:
    report = check(s(volet_2_0_mdm(), "PID", 7, "1984-12-10"), context)
    assert report.verdict is ArtefactVerdict.FAILED and failing(report) == {"HL7V2-PRF-01", "HL7V2-DT-01"}


def test_pam_fr_is_chosen_by_its_declared_version(context) -> None:
    report = check(s(A01, "MSH", 21, "2.10^IHE_FRANCE-2.10-PAM"), context)
    assert report.verdict is ArtefactVerdict.ABORTED and failing(report) == {"HL7V2-PRF-01"}
    assert "supported: IHE_FRANCE-2.11-PAM 2.11" in report.reason


def test_any_repetition_of_msh21_may_declare_the_supported_profile(context) -> None:
    report = check(s(T02, "MSH", 21, "1.0^AUTRE_PROFIL~2.1^CISIS_CDA_HL7_V2"), context)
    assert report.verdict is ArtefactVerdict.PASSED and report.profile == "ci-sis-hl7v2-cda MDM^T02"


def test_missing_segments_are_reported_once_and_their_rules_do_not_apply(context) -> None:
    """ORC and OBR absent from a 2.1 MDM: one STR-02 finding each, no order cascade, EVT-01 not applicable."""
    report = check(drop(drop(T02, "ORC"), "OBR"), context)
    errors = [(f.requirement, f.location) for f in report.findings if f.severity is Severity.ERROR]
    assert sorted(errors) == [("HL7V2-STR-02", "OBR"), ("HL7V2-STR-02", "ORC")]
    assert "CDAH2-EVT-01" not in report.evaluated


def test_a_misplaced_segment_is_reported_once_where_it_is(context) -> None:
    lines = T02.split("\r")
    txa = next(i for i, line in enumerate(lines) if line.startswith("TXA"))
    moved = "\r".join(lines[:txa] + lines[txa + 1:-1] + [lines[txa]]) + "\r"  # TXA moved to the end
    report = check(moved, context)
    order = [f for f in report.findings if f.requirement == "HL7V2-STR-01"]
    assert len(order) == 1 and order[0].location == "TXA"


def test_unknown_non_z_segment_fails_unknown_z_segment_warns(context) -> None:
    report = check(after(A01, "EVN", "XYZ|1|garbage"), context)
    (finding,) = report.findings
    assert report.verdict is ArtefactVerdict.FAILED
    assert (finding.requirement, finding.severity, finding.location, finding.line) == ("HL7V2-STR-01", Severity.ERROR, "XYZ", 3)
    report = check(after(A01, "EVN", "ZZZ|1"), context)
    assert report.verdict is ArtefactVerdict.PASSED and [f.severity for f in report.findings] == [Severity.WARNING]


def test_messages_name_the_received_and_the_expected_values(context) -> None:
    report = check(s(s(A01, "PID", 3, f"100001^^^{b.HOSP}^PI"), "PID", 32, "SURE"), context)
    (finding,) = report.findings
    assert finding.message_en == "PID-32: received 'SURE', expected DOUTE, FICTI, PROV, VALI"
    assert finding.message_fr == "PID-32 : reçu « SURE », attendu DOUTE, FICTI, PROV, VALI"


def test_document_obx_is_found_by_its_coding_not_its_position(context) -> None:
    """An e-mail OBX (not LOINC coded) next to the document is not taken for a document."""
    mail = "OBX|2|ED|1^XDM/1.0/DDM+Compte rendu^MSSANTE||^text^^Base64^Q29ycHM=||||||F"
    report = check(T02.replace("\rOBX|2|", f"\r{mail}\rOBX|2|", 1), context)
    assert [(f.requirement, f.location) for f in report.findings if f.severity is Severity.ERROR] == [("CDAH2-DOC-01", "OBX-3.3")]
    assert len(report.children) == 1


def test_severity_comes_from_the_pack_level(tmp_path: Path) -> None:
    """CDAH2-META-03 is SHOULD (a warning); the same pack with MUST makes it an error."""
    for name in ("hl7v2-base.toml", "ci-sis-hl7v2-cda.toml"):
        shutil.copy(ROOT / "profiles" / name, tmp_path / name)
    pack = tmp_path / "ci-sis-hl7v2-cda.toml"
    text = pack.read_text(encoding="utf-8")
    pack.write_text(text.replace('id = "CDAH2-META-03"\nlevel = "SHOULD"', 'id = "CDAH2-META-03"\nlevel = "MUST"'), encoding="utf-8")
    oru = "\r".join(line for line in b.document_message("ORU").split("\r") if "|ACK_RECEPTION^" not in line)
    default = ValidationContext(registry=PackRegistry.load())
    strict = ValidationContext(registry=PackRegistry.load([tmp_path], include_builtin=False))
    severity = {name: next(f.severity for f in check(oru, ctx).findings if f.requirement == "CDAH2-META-03")
                for name, ctx in (("default", default), ("strict", strict))}
    assert severity == {"default": Severity.WARNING, "strict": Severity.ERROR}


def test_every_requirement_is_evaluated_by_a_conforming_fixture_of_its_version(context) -> None:
    """Each pack implements one declared version: the fixtures judged by that pack evaluate all its requirements."""
    evaluated: dict[str, set[str]] = {}
    for path in sorted(FIXTURES.iterdir()):
        report = check(path.read_bytes(), context, path.name)
        pack = (report.profile or "").split(" ")[0]
        evaluated.setdefault(pack, set()).update(report.evaluated)
        evaluated.setdefault("hl7v2-base", set()).update(report.evaluated)
    for pack in ("hl7v2-base", "ci-sis-pam-fr", "ci-sis-hl7v2-cda", "ci-sis-hl7v2-lps"):
        ids = {r.id for r in context.registry.packs[pack].requirements}
        assert ids - evaluated.get(pack, set()) == set(), pack


def test_a_segment_missing_from_one_group_is_reported_even_when_a_later_group_has_it(context) -> None:
    """ORU: the first order group lacks its ORC, a second group has one: the first is still reported."""
    oru = b.document_message("ORU")
    orc = b.get_field(oru, "ORC", 1)
    second_group = f"ORC|{orc}\rOBR|2||" + "|".join(b.get_field(oru, "OBR", i) for i in (3, 4))
    broken = drop(oru, "ORC").rstrip("\r") + "\r" + second_group + "\r" + next(line for line in oru.split("\r")
                                                                               if line.startswith("OBX|1|")) + "\r"
    order = [f for f in check(broken, context).findings if f.requirement == "HL7V2-STR-01"]
    assert [(f.location, f.line) for f in order] == [("OBR", 4)]
