"""Opt-in: the project's conforming CDA fixtures pass the agency's official test kit.

Our fixtures are the documents users start from; they must pass the agency's reference, not only
our native rules. Point ENRS_ANS_KIT at a folder laid out like the agency's kit (a checkout of
ansforge/TestContenuCDA-3-0: the folder holding `infrastructure/`, `schematrons/` and
`jeuxDeValeurs/`) to run it; the kit is never shipped (no licence). The first run compiles the
kit's schematrons (about 10 s), later runs reuse the compiled XSLT from the cache.

Each document must pass the kit's XSD, its five generic profile schematrons and its volet
schematron with no error and no warning. The kit's own integrity findings (CISIS-KIT-INTEGRITY:
missing terminologies or data files of the agency's kit, repaired includes) describe the kit, not
the document, and are not counted.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.config.context import ValidationContext
from harness.core.findings import ArtefactReport, Finding, Severity
from harness.core.verdicts import ArtefactVerdict
from harness.validation.dispatch import make_context, validate_file

ROOT = Path(__file__).resolve().parents[2]
CDA_FIXTURES = sorted((ROOT / "fixtures" / "conforming" / "cda").glob("*.xml"))
HL7V2_FIXTURES = sorted((ROOT / "fixtures" / "conforming" / "hl7v2").glob("*.hl7"))
KIT_FOLDERS = {"infrastructure", "schematrons", "jeuxdevaleurs"}
KIT_CHECKS = {"CISIS-KIT-XSD", "CISIS-KIT-SCH-STRUCMIN", "CISIS-KIT-SCH-IHE", "CISIS-KIT-SCH-MODELES", "CISIS-KIT-SCH-ANS"}
TERMINO = "CISIS-KIT-SCH-TERMINO"


def _kit_dir() -> tuple[Path | None, str]:
    value = os.environ.get("ENRS_ANS_KIT")
    if not value:
        return None, "ENRS_ANS_KIT is not set (the agency's test kit TestContenuCDA is not shipped)"
    folder = Path(value)
    names = {p.name.lower() for p in folder.iterdir() if p.is_dir()} if folder.is_dir() else set()
    if not names >= KIT_FOLDERS:
        return None, f"ENRS_ANS_KIT={value} is not a kit folder (it must hold infrastructure/, schematrons/ and jeuxDeValeurs/)"
    return folder, ""


KIT, WHY_NOT = _kit_dir()
pytestmark = pytest.mark.skipif(KIT is None, reason=WHY_NOT)


@pytest.fixture(scope="module")
def context() -> ValidationContext:
    return make_context([], [], KIT)  # the bundled packs, plus the kit pack


def _problems(report: ArtefactReport) -> list[Finding]:
    """Every error or warning about the document (the kit's integrity notes about itself aside)."""
    return [f for f in report.findings if f.severity is not Severity.INFO and f.requirement != "CISIS-KIT-INTEGRITY"]


def _kit_checks_ran(report: ArtefactReport) -> bool:
    """The XSD and the generic schematrons were evaluated. The terminology schematron counts as evaluated
    only with every terminology it lists; a kit copy without the large ones (LOINC, SNOMED CT…) says so."""
    termino_incomplete = any(f.requirement == "CISIS-KIT-INTEGRITY" and "missing-terminology" in f.message_en for f in report.findings)
    return set(report.evaluated) >= KIT_CHECKS and (TERMINO in report.evaluated or termino_incomplete)


def _show(findings: list[Finding]) -> list[tuple[str, str, str | None, str]]:
    return [(f.severity.value, f.requirement, f.location, f.message_en[:300]) for f in findings]


@pytest.mark.parametrize("path", CDA_FIXTURES, ids=lambda p: p.name)
def test_conforming_cda_fixture_passes_the_official_kit(path: Path, context: ValidationContext) -> None:
    report = validate_file(path, context)
    assert report.verdict is ArtefactVerdict.PASSED, _show(_problems(report))
    assert _problems(report) == [], _show(_problems(report))
    assert _kit_checks_ran(report), "the kit's XSD and generic schematrons did not all run"
    if "nonXMLBody" not in path.read_text(encoding="utf-8"):
        assert "CISIS-KIT-SCH-VOLET" in report.evaluated, "the volet schematron did not run"


def test_cda_embedded_in_conforming_hl7v2_fixtures_passes_the_official_kit(context: ValidationContext) -> None:
    documents = []
    for path in HL7V2_FIXTURES:
        report = validate_file(path, context)
        assert report.verdict is ArtefactVerdict.PASSED, (path.name, _show(_problems(report)))
        documents += [child for child in report.children if child.kind == "cda"]
    assert len(documents) >= 4  # ORU^R01, MDM^T02, T04 and T10 each carry a CDA document
    for document in documents:
        assert document.verdict is ArtefactVerdict.PASSED, (document.path, _show(_problems(document)))
        assert _problems(document) == [], (document.path, _show(_problems(document)))
        assert _kit_checks_ran(document), document.path
