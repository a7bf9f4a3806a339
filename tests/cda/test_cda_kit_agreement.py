"""Opt-in: the native header rules reject what the agency's kit rejects (and say why they differ).

Each case is a one-edit perturbation of a conforming fixture's header. With ENRS_ANS_KIT naming a
kit folder, the test asserts that the kit (XSD + Structuration minimale and the other schematrons)
and the native rules agree on FAILED / not FAILED. The few deliberate differences are listed in
NATIVE_STRICTER and KIT_STRICTER with the reason. See docs/cda-kit.md.
"""

from __future__ import annotations

import pytest
from lxml import etree

from harness.config.context import ValidationContext
from harness.core.findings import ArtefactReport, Severity
from harness.validation.dispatch import make_context, validate_bytes

from cda_mutants import (
    AA,
    EE,
    FIXTURES,
    N1,
    NXB,
    PAT,
    PR,
    SE,
    SECTION_AUTHOR,
    SM,
    VSM,
    Edit,
    append,
    del_attr,
    delete,
    duplicate,
    insert_after,
    insert_before,
    set_attr,
    set_text,
)
from test_cda_fixtures_official_kit import KIT, WHY_NOT

pytestmark = pytest.mark.skipif(KIT is None, reason=WHY_NOT)

CD = "/cda:ClinicalDocument"
CASES: dict[str, tuple[str, list[Edit]]] = {
    "patient name prefix twice": (SM, [insert_before(f"{PAT}/cda:name/cda:family[1]", "<prefix>MME</prefix>"),
                                       insert_before(f"{PAT}/cda:name/cda:family[1]", "<prefix>MME</prefix>")]),
    "given qualifier with a space": (SM, [set_attr(f"{PAT}/cda:name/cda:given[1]", "qualifier", "BR CL")]),
    "empty family qualifier": (SM, [set_attr(f"{PAT}/cda:name/cda:family[2]", "qualifier", "")]),
    "effectiveTime not a TS": (SM, [set_attr(f"{CD}/cda:effectiveTime", "value", "2025-03-12")]),
    "birthTime not a date": (SM, [set_attr(f"{PAT}/cda:birthTime", "value", "19790230")]),
    "document id root not an OID": (SM, [set_attr(f"{CD}/cda:id", "root", "abc def")]),
    "setId root not an OID": (SM, [set_attr(f"{CD}/cda:setId", "root", "xyz")]),
    "versionNumber not an integer": (SM, [set_attr(f"{CD}/cda:versionNumber", "value", "deux")]),
    "languageCode fr-fr": (SM, [set_attr(f"{CD}/cda:languageCode", "code", "fr-fr")]),
    "author time without value": (SM, [del_attr(f"{CD}/cda:author[1]/cda:time", "value")]),
    "author time twice": (SM, [duplicate(f"{CD}/cda:author[1]/cda:time")]),
    "legalAuthenticator time twice": (SM, [duplicate(f"{CD}/cda:legalAuthenticator/cda:time")]),
    "custodian organisation id twice": (SM, [insert_after("//cda:representedCustodianOrganization/cda:id",
                                                          '<id root="1.2.250.1.71.4.2.2" extension="1750000002"/>')]),
    "patient name twice": (SM, [duplicate(f"{PAT}/cda:name")]),
    "administrativeGenderCode twice": (SM, [duplicate(f"{PAT}/cda:administrativeGenderCode")]),
    "birthTime twice": (SM, [duplicate(f"{PAT}/cda:birthTime")]),
    "empty title": (SM, [set_text(f"{CD}/cda:title", "")]),
    "confidentialityCode twice": (SM, [duplicate(f"{CD}/cda:confidentialityCode")]),
    "telecom @use with two codes": (SM, [set_attr(f"{PR}/cda:telecom", "use", "WP MC")]),
    "addr @use with two codes": (SM, [set_attr(f"{PR}/cda:addr", "use", "H WP")]),
    "organisation name twice": (SM, [duplicate(f"{AA}/cda:representedOrganization/cda:name")]),
    "assignedAuthor code twice": (SM, [duplicate(f"{AA}/cda:code")]),
    "encounter location twice": (SM, [duplicate(f"{EE}/cda:location")]),
    "encounter effectiveTime twice": (SM, [duplicate(f"{EE}/cda:effectiveTime")]),
    "relatedPerson name twice": (SM, [duplicate("//cda:relatedPerson/cda:name")]),
    "participant time twice": (SM, [duplicate(f"{CD}/cda:participant/cda:time")]),
    "legalAuthenticator signatureCode X": (SM, [set_attr(f"{CD}/cda:legalAuthenticator/cda:signatureCode", "code", "X")]),
    "performer twice": (SM, [duplicate(f"{SE}/cda:performer")]),
    "relatedDocument twice": (SM, [duplicate(f"{CD}/cda:relatedDocument")]),
    "encounter code without displayName": (SM, [del_attr(f"{EE}/cda:code", "displayName")]),
    "custodian name twice": (SM, [duplicate("//cda:representedCustodianOrganization/cda:name")]),
    "custodian telecom twice": (SM, [duplicate("//cda:representedCustodianOrganization/cda:telecom")]),
    "patient IPP without extension": (SM, [del_attr(f"{PR}/cda:id[2]", "extension")]),
    "code without displayName": (SM, [del_attr(f"{CD}/cda:code", "displayName")]),
    "dataEnterer without assignedEntity id": (SM, [insert_after(f"{CD}/cda:author[1]", "<dataEnterer><assignedEntity><assignedPerson><name>"
                                                                "<family>SAISIE-ESSAI</family></name></assignedPerson></assignedEntity></dataEnterer>")]),
    "birthplace place name after addr": (SM, [append("//cda:birthplace/cda:place", "<name>Reims</name>")]),
    "serviceEvent effectiveTime without high": (SM, [delete(f"{SE}/cda:effectiveTime/cda:high")]),
    "guardian family without qualifier": (SM, [del_attr("//cda:guardianPerson/cda:name/cda:family", "qualifier")]),
    "section author specialty outside J01": (VSM, [insert_after("//cda:structuredBody/cda:component[2]/cda:section/cda:text",
                                                               SECTION_AUTHOR.format(code="G15_10/SCH10"))]),
    "section author specialty in J01": (VSM, [insert_after("//cda:structuredBody/cda:component[2]/cda:section/cda:text",
                                                           SECTION_AUTHOR.format(code="G15_10/SM26"))]),
    "patient sex in another code system": (SM, [set_attr(f"{PAT}/cda:administrativeGenderCode", "codeSystem", "2.16.840.1.113883.5.4")]),
    # deliberate differences (below)
    "authenticator signatureCode X": (SM, [set_attr(f"{CD}/cda:authenticator/cda:signatureCode", "code", "X")]),
    "N1 text mediaType text/xml": (N1, [set_attr(f"{NXB}/cda:text", "mediaType", "text/xml")]),
    "recipient name twice": (SM, [duplicate("//cda:intendedRecipient/cda:informationRecipient/cda:name")]),
    "lab:statusCode in a transfer note": (SM, [insert_after(f"{SE}/cda:code", '<lab:statusCode xmlns:lab="urn:oid:1.3.6.1.4.1.19376.1.3.2" '
                                                                              'code="completed"/>')]),
}
# The native rules follow the reference where the kit's schematron does not fire.
NATIVE_STRICTER = {
    # §4.9: signatureCode S is mandatory; StrucMin's rule context authenticator[signatureCode[@code='S']] then never fires
    "authenticator signatureCode X",
    # §3: an N1 body is a base64 PDF; the kit checks no media type
    "N1 text mediaType text/xml",
    # §4.13: lab:statusCode belongs to laboratory and pathology reports; the XSD accepts it anywhere
    "lab:statusCode in a transfer note",
}
# The kit's DTr1 rule "[RIM-002] … SHALL be distinct" (two identical names) has no native counterpart yet.
KIT_STRICTER = {"recipient name twice"}


@pytest.fixture(scope="module")
def contexts() -> tuple[ValidationContext, ValidationContext]:
    return make_context([], [], KIT), make_context([], [], None)


def _build(fixture: str, edits: list[Edit]) -> bytes:
    root = etree.parse(str(FIXTURES / fixture)).getroot()
    for edit in edits:
        edit(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _errors(report: ArtefactReport, kit: bool) -> set[str]:
    return {f.requirement for f in report.findings if f.severity is Severity.ERROR and f.requirement.startswith("CISIS-KIT-") == kit}


@pytest.mark.parametrize("name", sorted(CASES))
def test_native_rules_and_the_kit_agree(name: str, contexts: tuple[ValidationContext, ValidationContext]) -> None:
    fixture, edits = CASES[name]
    data = _build(fixture, edits)
    kit = _errors(validate_bytes(data, f"{name}.xml", contexts[0], kind="cda"), kit=True)
    native = _errors(validate_bytes(data, f"{name}.xml", contexts[1], kind="cda"), kit=False)
    if name in NATIVE_STRICTER:
        assert native and not kit, (kit, native)
    elif name in KIT_STRICTER:
        assert kit and not native, (kit, native)
    else:
        assert bool(kit) == bool(native), (kit, native)
