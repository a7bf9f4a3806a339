"""Opt-in: the agency's public HL7 v2 examples (never committed: no licence), judged by what they declare.

Point ENRS_ANS_HL7_EXAMPLES at a checkout of ansforge/hl7V2-exemples (commit 60339877) to run it;
`python benchmarks/hl7v2_agency_examples.py` prints the same per file with the findings. Every error
below is a true non-conformity of the example (docs/hl7v2.md, "The agency's public examples"); the
ABORTED messages declare a volet version the packs do not support (Trans-doc 1.2 and 2.0, LPS 1.0):
one HL7V2-PRF-01 warning (and the LF warning HL7V2-SYN-02 all the examples get), no error in the base checks.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.findings import Severity
from harness.validation.dispatch import validate_file

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from hl7v2_agency_examples import message_files

EXAMPLES = os.environ.get("ENRS_ANS_HL7_EXAMPLES")
EXPECTED = {
    "SGL/admission.er7": ("PASSED", set()),
    "SGL/sortie.er7": ("FAILED", {"HL7V2-DT-01", "HL7V2-VS-01", "PAMFR-ZBE-01", "PAMFR-ZBE-04"}),
    "Vague 2/Consentement_DMP_PAMFR/ConsentementConsultation_NonOppositionAlimentation.er7": ("PASSED", set()),
    "Vague 2/Consentement_DMP_PAMFR/NonConsentementConsultation_NonOppositionAlimentation.er7": ("PASSED", set()),
    "Vague 2/Consentement_DMP_PAMFR/NonConsentementConsultation_OppositionAlimentation.er7": ("PASSED", set()),
    "Vague 2/Consentement_DMP_PAMFR/NonRecueillieConsentementConsultation_NonOppositionAlimentation.er7": ("PASSED", set()),
    "Vague 2/Consentement_DMP_PAMFR/NonRecueillieConsentementConsultation_NonRecueillieOppositionAlimentation.er7": ("PASSED", set()),
    "Vague 2/Trans_Doc-CDA-HL7V2/TRANSMISSION_DOCS_CDA_EN_HL7V2_V2.1/MDM/Remplacement MDM/ack.er7": ("PASSED", set()),
    "Vague 2/Trans_Doc-CDA-HL7V2/TRANSMISSION_DOCS_CDA_EN_HL7V2_V2.1/MDM/Remplacement MDM/"
    "message_MDM_CR_Radio_RPLC_N1.er7": ("FAILED", {"CDAH2-DOC-03"}),
    "Vague 2/Trans_Doc-CDA-HL7V2/TRANSMISSION_DOCS_CDA_EN_HL7V2_V2.1/MDM/Suppression MDM/ack.er7": ("PASSED", set()),
    "Vague 2/Trans_Doc-CDA-HL7V2/TRANSMISSION_DOCS_CDA_EN_HL7V2_V2.1/MDM/Suppression MDM/"
    "message_MDM_CR_Radio_DEL_N1.er7": ("FAILED", {"CDAH2-DOC-02"}),
    "Vague 2/Trans_Doc-CDA-HL7V2/TRANSMISSION_DOCS_CDA_EN_HL7V2_V2.1/MDM/Transmission initiale MDM/"
    "message_MDM_CR_Radio_INIT_N1.er7": ("FAILED", {"CDAH2-DOC-02"}),
    "Vague 2/Trans_Doc-CDA-HL7V2/TRANSMISSION_DOCS_CDA_EN_HL7V2_V2.1/MDM/Transmission initiale MDM/"
    "message_MDM_CR_Radio_INIT_N1_Base64.er7": ("FAILED", {"CDAH2-DOC-03"}),
    "Vague 2/Trans_Doc-CDA-HL7V2/TRANSMISSION_DOCS_CDA_EN_HL7V2_V2.1/ORU/Remplacement ORU/"
    "message_ORU_CR_Bio_RPLC_N3_SEGUR.hl7": ("FAILED", {"CDAH2-DOC-02"}),
    "Vague 2/Trans_Doc-CDA-HL7V2/TRANSMISSION_DOCS_CDA_EN_HL7V2_V2.1/ORU/Suppression ORU/"
    "message_ORU_CR_Bio_DEL_N3_SEGUR.hl7": ("FAILED", {"CDAH2-DOC-03", "CDAH2-PID-01"}),
    "Vague 2/Trans_Doc-CDA-HL7V2/TRANSMISSION_DOCS_CDA_EN_HL7V2_V2.1/ORU/Transmission initiale ORU/"
    "message_ORU_CR_Bio_INIT_N3_SEGUR.hl7": ("FAILED", {"CDAH2-DOC-03", "CDAH2-PID-01"}),
    "Vague 2/Trans_LPS_CDA_MSSanté/TRANSMISSION_LPS_DOC_CDA_COURRIEL_FROM_MSSANTE_V1.1/Remplacement MDM/ack.er7": ("PASSED", set()),
    "Vague 2/Trans_LPS_CDA_MSSanté/TRANSMISSION_LPS_DOC_CDA_COURRIEL_FROM_MSSANTE_V1.1/Remplacement MDM/"
    "message_MDM__LPS_MSS_CR_Radio_RPLC_N1.er7": ("FAILED", {"LPSH2-DOC-02"}),
    "Vague 2/Trans_LPS_CDA_MSSanté/TRANSMISSION_LPS_DOC_CDA_COURRIEL_FROM_MSSANTE_V1.1/Suppression MDM/ack.er7": ("PASSED", set()),
    "Vague 2/Trans_LPS_CDA_MSSanté/TRANSMISSION_LPS_DOC_CDA_COURRIEL_FROM_MSSANTE_V1.1/Suppression MDM/"
    "message_MDM__LPS_MSS_CR_Radio_DEL_N1.er7": ("FAILED", {"LPSH2-DOC-02"}),
    "Vague 2/Trans_LPS_CDA_MSSanté/TRANSMISSION_LPS_DOC_CDA_COURRIEL_FROM_MSSANTE_V1.1/Transmission initiale MDM/"
    "ack.er7": ("PASSED", set()),
    "Vague 2/Trans_LPS_CDA_MSSanté/TRANSMISSION_LPS_DOC_CDA_COURRIEL_FROM_MSSANTE_V1.1/Transmission initiale MDM/"
    "message_MDM__LPS_MSS_CR_Radio_INIT_N1.er7": ("FAILED", {"LPSH2-DOC-02"}),
    "Vague 2/Trans_LPS_CDA_MSSanté/TRANSMISSION_LPS_DOC_CDA_COURRIEL_FROM_MSSANTE_V1.1/Transmission initiale MDM/"
    "message_MDM__LPS_MSS_CR_Radio_INIT_N1_Base64.er7": ("FAILED", {"LPSH2-DOC-02"}),
    "Volets/TRANS_DOC_CDA_HL7V2/V1.2/MDM/ack.hl7": ("PASSED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V1.2/MDM/message.hl7": ("ABORTED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V1.2/ORU/ack.hl7": ("PASSED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V1.2/ORU/message.hl7": ("ABORTED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.0/MDM/Remplacement MDM/ack.er7": ("PASSED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.0/MDM/Remplacement MDM/message_MDM_CR_Radio_RPLC_N1.er7": ("ABORTED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.0/MDM/Suppression MDM/ack.er7": ("PASSED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.0/MDM/Suppression MDM/message_MDM_CR_Radio_DEL_N1.er7": ("ABORTED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.0/MDM/Transmission initiale MDM/message_MDM_CR_Radio_INIT_N1.er7": ("ABORTED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.0/MDM/Transmission initiale MDM/message_MDM_CR_Radio_INIT_N1_Base64.er7": ("ABORTED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.0/ORU/Remplacement ORU/ack.er7": ("PASSED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.0/ORU/Remplacement ORU/message_ORU_CR_Bio_RPLC_N1_Base64_N3_Base64.er7": ("FAILED", {"HL7V2-SYN-01"}),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.0/ORU/Remplacement ORU/message_ORU_CR_Bio_RPLC_N1_N3.er7": ("FAILED", {"HL7V2-SYN-01"}),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.0/ORU/Suppression ORU/ack.er7": ("PASSED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.0/ORU/Suppression ORU/message_ORU_CR_Bio_DEL_N1_Base64_N3_Base64.er7": ("FAILED", {"HL7V2-SYN-01"}),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.0/ORU/Suppression ORU/message_ORU_CR_Bio_DEL_N1_N3.er7": ("FAILED", {"HL7V2-SYN-01"}),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.0/ORU/Transmission initiale ORU/Message metier lecture MSS": ("ABORTED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.0/ORU/Transmission initiale ORU/Message metier reception DMP": ("ABORTED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.0/ORU/Transmission initiale ORU/Message metier reception MSS": ("ABORTED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.0/ORU/Transmission initiale ORU/ack.hl7": ("PASSED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.0/ORU/Transmission initiale ORU/message_ORU_CR_Bio_INIT_N1_N3.hl7": ("FAILED", {"HL7V2-SYN-01"}),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.1/ORU/Remplacement ORU/ack.er7": ("PASSED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.1/ORU/Remplacement ORU/"
    "message_ORU_CR_Bio_RPLC_N1_Base64_N3_Base64.er7": ("FAILED", {"CDAH2-DOC-03", "CDAH2-PID-01"}),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.1/ORU/Remplacement ORU/message_ORU_CR_Bio_RPLC_N1_N3.er7": ("FAILED", {"CDAH2-DOC-02"}),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.1/ORU/Suppression ORU/ack.er7": ("PASSED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.1/ORU/Suppression ORU/"
    "message_ORU_CR_Bio_DEL_N1_Base64_N3_Base64.er7": ("FAILED", {"CDAH2-DOC-03", "CDAH2-PID-01"}),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.1/ORU/Suppression ORU/message_ORU_CR_Bio_DEL_N1_N3.er7": ("FAILED", {"CDAH2-DOC-02"}),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.1/ORU/Transmission initiale ORU/Message metier lecture MSS": ("PASSED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.1/ORU/Transmission initiale ORU/Message metier reception DMP": ("FAILED", {"CDAH2-ZAM-02"}),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.1/ORU/Transmission initiale ORU/Message metier reception MSS": ("PASSED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.1/ORU/Transmission initiale ORU/ack.hl7": ("PASSED", set()),
    "Volets/TRANS_DOC_CDA_HL7V2/V2.1/ORU/Transmission initiale ORU/message_ORU_CR_Bio_INIT_N1_N3.hl7": ("FAILED", {"CDAH2-DOC-02"}),
    "Volets/Trans_LPS_CDA_MSSanté/V1.0/MDM/ack.hl7": ("PASSED", set()),
    "Volets/Trans_LPS_CDA_MSSanté/V1.0/MDM/message.hl7": ("ABORTED", set()),
    "Volets/Trans_LPS_CDA_MSSanté/V1.0/MDM/messageDocB64.hl7": ("ABORTED", set()),
    "Volets/Trans_LPS_CDA_MSSanté/V1.0/Remplacement MDM/ack.er7": ("PASSED", set()),
    "Volets/Trans_LPS_CDA_MSSanté/V1.0/Remplacement MDM/message_MDM__LPS_MSS_CR_Radio_RPLC_N1.er7": ("ABORTED", set()),
    "Volets/Trans_LPS_CDA_MSSanté/V1.0/Suppression MDM/ack.er7": ("PASSED", set()),
    "Volets/Trans_LPS_CDA_MSSanté/V1.0/Suppression MDM/message_MDM__LPS_MSS_CR_Radio_DEL_N1.er7": ("ABORTED", set()),
    "Volets/Trans_LPS_CDA_MSSanté/V1.0/Transmission initiale MDM/ack.er7": ("PASSED", set()),
    "Volets/Trans_LPS_CDA_MSSanté/V1.0/Transmission initiale MDM/message_MDM__LPS_MSS_CR_Radio_INIT_N1.er7": ("ABORTED", set()),
    "Volets/Trans_LPS_CDA_MSSanté/V1.0/Transmission initiale MDM/message_MDM__LPS_MSS_CR_Radio_INIT_N1_Base64.er7": ("ABORTED", set()),
}


@pytest.mark.skipif(not EXAMPLES, reason="ENRS_ANS_HL7_EXAMPLES is not set (the agency's examples are not shipped)")
def test_agency_examples_are_judged_by_what_they_declare() -> None:
    root = Path(EXAMPLES or ".")
    context = ValidationContext(registry=PackRegistry.load())
    files = message_files(root)
    assert {str(p.relative_to(root)) for p in files} == set(EXPECTED)
    for path in files:
        report = validate_file(path, context)
        errors = {f.requirement for f in report.findings if f.severity is Severity.ERROR}
        verdict, expected = EXPECTED[str(path.relative_to(root))]
        assert (report.verdict.value, errors) == (verdict, expected), (path,
                                                                       [(f.requirement, f.location, f.message_en)
                                                                        for f in report.findings][:8])
        if verdict == "ABORTED":
            assert [f.requirement for f in report.findings if f.requirement == "HL7V2-PRF-01"] == ["HL7V2-PRF-01"]
