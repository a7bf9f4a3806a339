"""The RPPS/ADELI identifier of a health professional (assignedEntity/id under the persons' root) must
carry its @extension: shown both ways for each rule that checks it (authenticator, responsibleParty,
encounterParticipant), on the conforming fixture and on a mutant lacking only that attribute."""

from __future__ import annotations

import pytest
from lxml import etree

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.findings import Severity
from harness.core.verdicts import ArtefactVerdict
from harness.validation.dispatch import validate_bytes, validate_file

from cda_mutants import CD, EE, FIXTURES, LEE, SM, del_attr

CONTEXT = ValidationContext(registry=PackRegistry.load())
PS_ROOT = "1.2.250.1.71.4.2.1"  # RPPS / ADELI (ci-sis-cda-header pack, data.cda ps_root)
CASES = {
    "SM-AUTHENTICATOR": (f"/cda:ClinicalDocument/cda:authenticator/cda:assignedEntity/cda:id[@root='{PS_ROOT}']",
                         f"{CD}/authenticator[1]/assignedEntity[1]/id[1]/@extension"),
    "SM-RESPONSIBLEPARTY": (f"{EE}/cda:responsibleParty/cda:assignedEntity/cda:id[@root='{PS_ROOT}']",
                            f"{LEE}/responsibleParty[1]/assignedEntity[1]/id[1]/@extension"),
    "SM-ENCOUNTERPARTICIPANT": (f"{EE}/cda:encounterParticipant/cda:assignedEntity/cda:id[@root='{PS_ROOT}']",
                                f"{LEE}/encounterParticipant[1]/assignedEntity[1]/id[1]/@extension"),
}


def _errors(report) -> set[str]:
    return {f.requirement for f in report.findings if f.severity is Severity.ERROR}


@pytest.mark.parametrize("requirement", sorted(CASES))
def test_the_conforming_fixture_carries_the_extension(requirement: str) -> None:
    report = validate_file(FIXTURES / SM, CONTEXT)
    assert requirement in report.evaluated
    assert requirement not in _errors(report)


@pytest.mark.parametrize("requirement", sorted(CASES))
def test_an_rpps_adeli_id_without_extension_fails_only_its_rule(requirement: str) -> None:
    path, location = CASES[requirement]
    tree = etree.parse(str(FIXTURES / SM))
    del_attr(path, "extension")(tree.getroot())
    report = validate_bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"), "mutant.xml", CONTEXT, kind="cda")
    assert report.verdict is ArtefactVerdict.FAILED
    assert _errors(report) == {requirement}, [(f.requirement, f.location, f.message_en) for f in report.findings]
    assert location in [f.location for f in report.findings if f.requirement == requirement]
