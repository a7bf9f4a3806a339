"""Opt-in: native validation of the agency's public examples (never committed: no licence).

Point ENRS_ANS_EXAMPLES at the `ExemplesCDA` folder of a checkout of ansforge/TestContenuCDA-3-0
(commit 7cd489b3) to run it. The known failures are those the kit reports too (test_cda_kit_agreement_examples):
the header schematron refuses the eDISP example's usage-name qualifier SP; the generic content-model
example carries the VSM templateId without being a VSM; four examples give a section author a
specialty outside JDV_J01; the two TSH examples are 2024.01 reports whose CR-BIO templateId has no
extension, so they are judged as 2021.01 (the version declared without extension), which does not
allow their PDF copy section (`--volet-version CR-BIO=2024.01` judges them as 2024.01).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.findings import Severity
from harness.core.verdicts import ArtefactVerdict
from harness.validation.dispatch import expand_paths, validate_file

EXAMPLES = os.environ.get("ENRS_ANS_EXAMPLES")
KNOWN_FAILURES = {
    "eDISP-MED_2024.01.xml": {"SM-PATIENT-FAMILY-QUALIFIER"},
    "01_Modèles_contenus_CDA.xml": {"VOL-DOCUMENT-CODE", "VOL-VSM-SECTIONS"},
    "CANCER-FRCP_2022.01_Appareil.xml": {"MOD-JDV-AUTHOR-SPECIALTY"},
    "CANCER-FRCP_2022.01_Transversale.xml": {"MOD-JDV-AUTHOR-SPECIALTY"},
    "TLM-DA_2022.01_TCG.xml": {"MOD-JDV-AUTHOR-SPECIALTY"},
    "TLM-DA_2022.01_TCG_anamnèse-non-structurée.xml": {"MOD-JDV-AUTHOR-SPECIALTY"},
    "TLM-DA_2022.01_TE1_anamnèse-non-structurée.xml": {"MOD-JDV-AUTHOR-SPECIALTY"},
    "BIO-CR-BIO_2024.01_TSH_1.xml": {"VOL-CRBIO-LEVEL1"},
    "BIO-CR-BIO_2024.01_TSH_2.xml": {"VOL-CRBIO-LEVEL1"},
}


@pytest.mark.skipif(not EXAMPLES, reason="ENRS_ANS_EXAMPLES is not set (the agency's examples are not shipped)")
def test_agency_examples_pass_except_the_known_ones() -> None:
    context = ValidationContext(registry=PackRegistry.load())
    files = list(expand_paths([Path(EXAMPLES or ".")]))
    assert len(files) >= 90
    for path in files:
        report = validate_file(path, context)
        errors = {f.requirement for f in report.findings if f.severity is Severity.ERROR}
        expected = KNOWN_FAILURES.get(path.name, set())
        assert errors == expected, (path.name, [(f.requirement, f.location) for f in report.findings if f.severity is Severity.ERROR][:5])
        assert report.verdict is (ArtefactVerdict.FAILED if expected else ArtefactVerdict.PASSED)
