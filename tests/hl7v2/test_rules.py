"""Every rule proven both ways: the conforming fixtures pass, and each mutant — breaking one
rule only — fails with exactly that rule's requirement id."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import check, failing

from harness.core.verdicts import ArtefactVerdict
from harness.hl7v2.ack import expected_ack

import builders as b

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
A01, A11, A28 = b.adt("A01"), b.adt("A11"), b.adt("A28")
ORU = b.document_message("ORU")
T02 = b.document_message("MDM", "T02")
T10 = b.document_message("MDM", "T10", ("RO", "C"))
IPP_ONLY = f"100001^^^{b.HOSP}^PI"
LPS = b.lps_message()
LPS_T10 = b.lps_message("T10", ("RO", "C"))
ACK = expected_ack(ORU.encode(), None, control_id="ACK1", timestamp="20250110093001").decode()
DOCUMENT_OBX_T02 = next(line for line in T02.split("\r") if line.startswith("OBX|1|ED|"))
PAM_ACK = expected_ack(A01.encode(), None, control_id="ACK2", timestamp="20250110093001").decode()
INS_REP = b.PID3.split("~")[1]
s, drop, after = b.set_field, b.drop_segment, b.insert_after


def meta_value(message: str, code: str, value: str) -> str:
    lines = message.split("\r")
    return "\r".join(line.replace(f"|{code}^", f"|{code}^").replace("||N^^expandedYes", f"||{value}^^expandedYes")
                     .replace("||Y^^expandedYes", f"||{value}^^expandedYes")
                     if f"|{code}^" in line else line for line in lines)


def without_meta(message: str, code: str) -> str:
    return "\r".join(line for line in message.split("\r") if f"|{code}^" not in line)


MUTANTS: dict[str, tuple[Callable[[], str], set[str]]] = {
    # generic profile checks (hl7v2-base)
    "order-evn-after-pid": (lambda: "\r".join([A01.split("\r")[i] for i in (0, 2, 1, 3, 4, 5, 6)]) + "\r", {"HL7V2-STR-01"}),
    "order-pv1-before-pid": (lambda: "\r".join([A01.split("\r")[i] for i in (0, 1, 3, 2, 4, 5, 6)]) + "\r", {"HL7V2-STR-01"}),
    "unknown-segment": (lambda: after(A01, "ZFD", "ZZZ|1"), {"HL7V2-STR-01"}),
    "field-usage": (lambda: s(A01, "PID", 5, ""), {"HL7V2-FLD-01"}),
    "repetition": (lambda: s(A01, "PID", 8, "F~M"), {"HL7V2-FLD-02"}),
    "length": (lambda: s(A01, "MSH", 10, "X" * 25), {"HL7V2-FLD-03"}),
    "datatype": (lambda: s(A01, "PID", 7, "1984-12-10"), {"HL7V2-DT-01"}),
    "datatype-components": (lambda: s(A01, "PID", 8, "F^X"), {"HL7V2-DT-01"}),
    "valueset": (lambda: s(A01, "ZBE", 5, "X"), {"HL7V2-VS-01"}),
    "structure-name": (lambda: s(A01, "MSH", 9, "ADT^A01^ADT_A02"), {"HL7V2-MSG-01"}),
    "unknown-trigger": (lambda: s(A01, "MSH", 9, "ADT^A99^ADT_A01"), {"HL7V2-MSG-01"}),
    "segment-usage": (lambda: drop(A01, "EVN"), {"HL7V2-STR-02"}),  # reported once, by its usage rule
    "unknown-non-z-segment": (lambda: after(A01, "EVN", "XYZ|1|garbage"), {"HL7V2-STR-01"}),
    "declared-profile-version-unsupported": (lambda: s(T02, "MSH", 21, "1.0^CISIS_CDA_HL7_LPS"), {"HL7V2-PRF-01"}),
    "pam-declared-version-unsupported": (lambda: s(A01, "MSH", 21, "2.10^IHE_FRANCE-2.10-PAM"), {"HL7V2-PRF-01"}),
    # PAM FR
    "pam-msh12": (lambda: s(A01, "MSH", 12, "2.5^FRA^2.10"), {"PAMFR-MSH-01"}),
    "pam-msh21": (lambda: s(A01, "MSH", 21, ""), {"PAMFR-MSH-02"}),
    "pam-ipp": (lambda: s(A01, "PID", 3, INS_REP), {"PAMFR-PID-01"}),
    "pam-reliability": (lambda: s(s(A01, "PID", 3, IPP_ONLY), "PID", 32, "SURE"), {"PAMFR-PID-02"}),
    "pam-ins-oid": (lambda: s(A01, "PID", 3, b.PID3.replace("1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.99")), {"PAMFR-INS-01"}),
    "pam-ins-refused-oid": (lambda: s(A01, "PID", 3,
                                      b.PID3.replace("ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10",
                                                     "ASIP-SANTE-INS-C&1.2.250.1.213.1.4.2")), {"PAMFR-INS-01", "PAMFR-INS-03"}),
    "pam-ins-namespace": (lambda: s(A01, "PID", 3, b.PID3.replace("ASIP-SANTE-INS-NIR", "ASIP-SANTE-INS-NIA")), {"PAMFR-INS-01"}),
    "pam-ins-type": (lambda: s(A01, "PID", 3, b.PID3.replace("^INS^^", "^NH^^")), {"PAMFR-INS-01"}),
    "pam-ins-key": (lambda: s(A01, "PID", 3, b.PID3.replace(b.INS, b.INS[:13] + f"{(int(b.INS[13:]) + 1) % 100:02d}")), {"PAMFR-INS-02"}),
    "pam-ins-not-qualified": (lambda: s(A01, "PID", 32, "PROV"), {"PAMFR-INS-03"}),
    "pam-qualified-without-ins": (lambda: s(A01, "PID", 3, IPP_ONLY), {"PAMFR-INS-03"}),
    "pam-ins-test-oid-in-production": (lambda: s(A01, "MSH", 11, "P"), {"PAMFR-INS-04"}),
    "pam-zbe-action-missing": (lambda: s(A01, "ZBE", 4, ""), {"PAMFR-ZBE-01"}),
    "pam-zbe-action-unknown": (lambda: s(A01, "ZBE", 4, "DELETE"), {"PAMFR-ZBE-01"}),
    "pam-zbe-cancel-as-insert": (lambda: s(s(A11, "ZBE", 4, "INSERT"), "ZBE", 6, ""), {"PAMFR-ZBE-02"}),
    "pam-zbe-cancel-wrong-original": (lambda: s(A11, "ZBE", 6, "A02"), {"PAMFR-ZBE-02"}),
    "pam-zbe-insert-with-original": (lambda: s(A01, "ZBE", 6, "A05"), {"PAMFR-ZBE-02"}),
    "pam-zbe-missing": (lambda: drop(A01, "ZBE"), {"PAMFR-ZBE-03"}),
    "pam-zbe-in-identity-message": (lambda: after(A28, "PV1", b.zbe()), {"PAMFR-ZBE-03"}),
    "pam-zbe3-not-used": (lambda: s(A01, "ZBE", 3, "20250111120000"), {"PAMFR-ZBE-04"}),
    "pam-zbe9-required": (lambda: s(A01, "ZBE", 9, ""), {"PAMFR-ZBE-04"}),
    "pam-zfa": (lambda: s(A01, "ZFA", 9, "OUI"), {"PAMFR-ZFA-01"}),
    "pam-zfd": (lambda: s(A01, "ZFD", 6, ""), {"PAMFR-ZFD-01"}),
    "pam-zseg-in-identity-message": (lambda: after(A28, "PV1", "ZFA|ACTIF"), {"PAMFR-ZSEG-01"}),
    # CDA transmission over HL7 v2
    "cda-msh12": (lambda: s(T02, "MSH", 12, "2.5"), {"CDAH2-MSH-01"}),
    "cda-msh21": (lambda: s(ORU, "MSH", 21, ""), {"CDAH2-MSH-02"}),
    "cda-msh17": (lambda: s(ORU, "MSH", 17, "FR"), {"CDAH2-MSH-03"}),
    "cda-mdm-operation": (lambda: s(T02, "ORC", 1, "CA"), {"CDAH2-EVT-01"}),
    "cda-oru-operation": (lambda: s(ORU, "OBX", 11, "D"), {"CDAH2-EVT-01"}),
    "cda-mdm-without-orc-obr": (lambda: drop(drop(T02, "ORC"), "OBR"), {"HL7V2-STR-02"}),  # no cascade, EVT-01 not applicable
    "cda-obx-neither-document-nor-metadata": (lambda: ORU.rstrip("\r") + "\rOBX|12|CE|XYZ^Autre^OtherTable||Y^^HL70136||||||F\r",
                                              {"CDAH2-DOC-01"}),
    "cda-mdm-two-documents": (lambda: after(T02, "PRT", DOCUMENT_OBX_T02), {"CDAH2-DOC-01"}),
    "cda-document-encoding": (lambda: ORU.replace("^TEXT^XML^Base64^", "^TEXT^XML^Hex^", 1), {"CDAH2-DOC-01"}),
    "cda-document-code": (lambda: ORU.replace(b.cda_facts(b.conforming_cda())["code"], "11488-4^CR de consultation^LN"), {"CDAH2-DOC-04"}),
    "cda-bad-padding": (lambda: ORU.replace("^Base64^PD94", "^Base64^=PD94", 1), {"CDAH2-DOC-02"}),
    "cda-not-xml": (lambda: b.document_message("ORU", document=b"not a CDA at all"), {"CDAH2-DOC-02"}),
    "cda-not-clinical-document": (lambda: b.document_message("ORU", document=b"<root xmlns='urn:hl7-org:v3'/>"), {"CDAH2-DOC-02"}),
    "cda-pid3": (lambda: s(ORU, "PID", 3, b.get_field(ORU, "PID", 3).split("~")[0]), {"CDAH2-PID-01"}),
    "cda-pv1-19": (lambda: s(ORU, "PV1", 19, ""), {"CDAH2-PV1-01"}),
    "cda-txa-fixed": (lambda: s(T02, "TXA", 17, "DO"), {"CDAH2-TXA-01"}),
    "cda-txa12": (lambda: s(T02, "TXA", 12, "DOC9999^^1.2.250.1.999.1.1^ISO"), {"CDAH2-TXA-02"}),
    "cda-txa13-missing": (lambda: s(T10, "TXA", 13, ""), {"CDAH2-TXA-03"}),
    "cda-txa13-mismatch": (lambda: s(T10, "TXA", 13, "DOC7777^^1.2.250.1.999.1.1^ISO"), {"CDAH2-TXA-04"}),
    "cda-meta-missing": (lambda: without_meta(ORU, "CONNEXION_SECRETE"), {"CDAH2-META-01"}),
    "cda-meta-order": (lambda: ORU.replace("OBX|2|CE|MASQUE_PS", "OBX|2|CE|TMP_MASQUE")
                       .replace("OBX|3|CE|INVISIBLE_PATIENT^Document Non Visible par le patient^MetaDMPMSS",
                                "OBX|3|CE|MASQUE_PS^Masqué aux professionnels de Santé^MetaDMPMSS")
                       .replace("OBX|2|CE|TMP_MASQUE^Masqué aux professionnels de Santé^MetaDMPMSS",
                                "OBX|2|CE|INVISIBLE_PATIENT^Document Non Visible par le patient^MetaDMPMSS"), {"CDAH2-META-01"}),
    "cda-meta-type": (lambda: T02.replace("|CWE|MASQUE_PS", "|CE|MASQUE_PS"), {"CDAH2-META-01"}),
    "cda-meta-value": (lambda: meta_value(ORU, "CONNEXION_SECRETE", "O"), {"CDAH2-META-02"}),
    "cda-meta-optional-missing": (lambda: without_meta(ORU, "ACK_RECEPTION"), {"CDAH2-META-03"}),
    "cda-meta-coherence": (lambda: meta_value(ORU, "MASQUE_PS", "Y"), {"CDAH2-META-04"}),
    "cda-prt-order": (lambda: ORU.replace(b.PRTS[0] + "\r" + b.PRTS[1], b.PRTS[1] + "\r" + b.PRTS[0]), {"CDAH2-PRT-01"}),
    "cda-prt-role": (lambda: ORU.replace("RCT^Result Copies To^participation", "XYZ^Other^participation"),
                     {"CDAH2-PRT-01", "CDAH2-PRT-03"}),
    "cda-prt-outside-document": (lambda: ORU.rstrip("\r") + "\r" + b.PRTS[1] + "\r", {"CDAH2-PRT-01"}),
    "cda-prt-sb-for-dmp": (lambda: ORU.replace(b.PRTS[0] + "\r", ""), {"CDAH2-PRT-02"}),
    "cda-prt-sb-establishment": (lambda: ORU.replace("^FINEG^^^999999999", "^FINEG"), {"CDAH2-PRT-02"}),
    "cda-prt-sb-author": (lambda: ORU.replace(
        "SB^Send by^participation|801234567897^MEDECIN^TEST^^^^^^ASIP-SANTE-PS&1.2.250.1.71.4.2.1&ISO^D^^^RPPS|",
        "SB^Send by^participation||"), {"CDAH2-PRT-02"}),
    "cda-meta-confidentiality": (lambda: b.document_message(
        "ORU", document=b.conforming_cda().replace(b'confidentialityCode code="N"', b'confidentialityCode code="R"', 1)),
        {"CDAH2-META-04"}),
    "cda-prt-rct-for-mssante": (lambda: ORU.replace(b.PRTS[1] + "\r", ""), {"CDAH2-PRT-03"}),
    "cda-cwe-system": (lambda: ORU.replace("SB^Send by^participation", "SB^Send by"), {"CDAH2-CWE-01"}),
    # LPS 1.1 (Transmission au LPS de documents CDA provenant d'un courriel MSSanté)
    "lps-msh12": (lambda: s(LPS, "MSH", 12, "2.5"), {"LPSH2-MSH-01"}),
    "lps-msh17": (lambda: s(LPS, "MSH", 17, "FR"), {"LPSH2-MSH-03"}),
    "mdm-undeclared": (lambda: s(LPS, "MSH", 21, ""), {"HL7V2-PRF-01"}),  # two volets define MDM^T02: which one is not said
    "lps-pv1-class": (lambda: s(LPS, "PV1", 2, "I"), {"LPSH2-PV1-02"}),
    "lps-operation": (lambda: s(LPS, "ORC", 1, "CA"), {"LPSH2-EVT-01"}),
    "lps-document-subtype": (lambda: LPS.replace("^text^XML^Base64^", "^text^XML^Hex^", 1), {"LPSH2-DOC-01"}),
    "lps-two-documents": (lambda: LPS.replace(b.MAIL,
                                              b.MAIL + "\r" + next(line for line in LPS.split("\r") if line.startswith("OBX|1|ED|"))),
                          {"LPSH2-DOC-01"}),
    "lps-bad-padding": (lambda: LPS.replace("^Base64^PD94", "^Base64^=PD94", 1), {"LPSH2-DOC-02"}),
    "lps-document-code": (lambda: LPS.replace(b.cda_facts(b.conforming_cda())["code"], "11488-4^CR de consultation^LN"), {"LPSH2-DOC-04"}),
    "lps-pid3": (lambda: s(LPS, "PID", 3, b.get_field(LPS, "PID", 3).split("~")[0]), {"LPSH2-PID-01"}),
    "lps-txa17": (lambda: s(LPS, "TXA", 17, "LA"), {"LPSH2-TXA-01"}),
    "lps-txa12": (lambda: s(LPS, "TXA", 12, "DOC9999^^1.2.250.1.999.1.1^ISO"), {"LPSH2-TXA-02"}),
    "lps-txa13-missing": (lambda: s(LPS_T10, "TXA", 13, ""), {"LPSH2-TXA-03"}),
    "lps-txa13-mismatch": (lambda: s(LPS_T10, "TXA", 13, "DOC7777^^1.2.250.1.999.1.1^ISO"), {"LPSH2-TXA-04"}),
    "lps-mail-missing": (lambda: drop(LPS, "OBX", 2), {"LPSH2-MAIL-01"}),
    "lps-mail-subject": (lambda: LPS.replace("^Compte rendu de test||", "||", 1), {"LPSH2-MAIL-01"}),
    "lps-mail-status": (lambda: LPS.replace(b.MAIL, b.MAIL.replace("||||||F", "||||||C")), {"LPSH2-MAIL-01"}),
    "lps-meta-missing": (lambda: without_meta(LPS, "MODIF_CONF_CODE"), {"LPSH2-META-01"}),
    "lps-meta-other-volet": (lambda: LPS.replace("MODIF_CONF_CODE^Modification Confidentiality Code", "DESTDMP^Destinataire DMP"),
                             {"LPSH2-META-01"}),
    "lps-meta-value": (lambda: meta_value(LPS, "MASQUE_PS", "O"), {"LPSH2-META-02"}),
    "lps-prt-order": (lambda: LPS.replace(b.LPS_PRTS[0] + "\r" + b.LPS_PRTS[1], b.LPS_PRTS[1] + "\r" + b.LPS_PRTS[0]), {"LPSH2-PRT-01"}),
    "lps-prt-sender-missing": (lambda: LPS.replace(b.LPS_PRTS[0] + "\r", ""), {"LPSH2-PRT-02"}),
    "lps-prt-sender-address": (lambda: LPS.replace("^^X.400^medecin.test@test.mssante.fr", ""), {"LPSH2-PRT-02"}),
    "lps-cwe-system": (lambda: LPS.replace("SB^Send by^participation", "SB^Send by"), {"LPSH2-CWE-01"}),
    "zam-code": (lambda: b.zam("Z01").replace("ACK_RECEPTION_DMP", "ACK_RECEPTION_MSS"), {"CDAH2-ZAM-01"}),
    "zam-second-obx": (lambda: drop(b.zam("Z02"), "OBX", 2), {"CDAH2-ZAM-01"}),
    "zam-err-missing": (lambda: drop(b.zam("Z02", "N"), "ERR"), {"CDAH2-ZAM-02"}),
    "zam-err-system": (lambda: b.zam("Z03", "N").replace("^applicationErrorCondition", "^DMP_ERROR_CODE"), {"CDAH2-ZAM-02"}),
    # acknowledgements as documents
    "ack-code": (lambda: ACK.replace("MSA|AA", "MSA|ZZ"), {"HL7V2-ACK-01"}),
    "ack-echo": (lambda: s(ACK, "MSA", 2, ""), {"HL7V2-ACK-02"}),
    "ack-err-missing": (lambda: ACK.replace("MSA|AA", "MSA|AE"), {"HL7V2-ACK-03"}),
    "ack-err-severity": (lambda: ACK.replace("MSA|AA", "MSA|AR") + "ERR||MSH^1^12|203^Unsupported version id^HL70357|X\r",
                         {"HL7V2-ACK-03"}),
    "ack-msh9": (lambda: s(ACK, "MSH", 9, "ACK"), {"HL7V2-ACK-04"}),
    "ack-pam-msa1": (lambda: PAM_ACK.replace("MSA|AA", "MSA|OK"), {"HL7V2-ACK-01"}),
}


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "conforming" / "hl7v2").iterdir()))
def test_conforming_fixture_passes(name: str, context) -> None:
    report = check((FIXTURES / "conforming" / "hl7v2" / name).read_bytes(), context, name)
    assert report.verdict is ArtefactVerdict.PASSED, [(f.requirement, f.location, f.message_en) for f in report.findings]
    assert failing(report) == set()
    assert "HL7V2-STR-01" in report.evaluated and "HL7V2-SYN-01" in report.evaluated


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_fails_only_its_rule(name: str, context) -> None:
    build, expected = MUTANTS[name]
    report = check(build(), context, name)
    assert failing(report) == expected, [(f.requirement, f.location, f.message_en) for f in report.findings]
    assert expected <= set(report.evaluated) | {"HL7V2-MSG-01"}


def test_every_requirement_of_the_hl7v2_packs_has_a_mutant(context) -> None:
    proven = set().union(*(expected for _, expected in MUTANTS.values()))
    proven |= {"HL7V2-SYN-01", "HL7V2-SYN-02", "HL7V2-SYN-03", "HL7V2-SYN-04", "HL7V2-SYN-05", "HL7V2-ENC-01",
               "HL7V2-VER-01"}  # test_tokenizer
    proven |= {"CDAH2-DOC-03", "LPSH2-DOC-03"}  # test_nesting_and_cli
    ids = {r.id for pack in ("hl7v2-base", "ci-sis-pam-fr", "ci-sis-hl7v2-cda", "ci-sis-hl7v2-lps")
           for r in context.registry.packs[pack].requirements}
    assert ids - proven == set()


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "nonconforming" / "hl7v2").iterdir()))
def test_nonconforming_fixture_fails(name: str, context) -> None:
    assert check((FIXTURES / "nonconforming" / "hl7v2" / name).read_bytes(), context, name).verdict is ArtefactVerdict.FAILED


def test_base64_decoding() -> None:
    from harness.hl7v2.rules_cda import decode_base64

    assert decode_base64(base64.b64encode(b"<x/>").decode())[0] == b"<x/>"
    assert decode_base64("PHgvPg")[0] is None  # missing padding
    assert decode_base64("PHgv*g==")[0] is None
