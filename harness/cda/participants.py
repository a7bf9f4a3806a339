"""Structuration minimale: author, custodian, legalAuthenticator, authenticator, informant, informationRecipient, participant
(§4.6–§4.12)."""

from __future__ import annotations

from lxml import etree

from harness.cda.common import (
    header_child,
    header_children,
    require_attrs,
    require_children,
    require_coded,
    require_no_nf,
    require_present,
    require_ps_id,
    require_value,
)
from harness.cda.data import CdaData
from harness.cda.engine import Doc, Out, rule
from harness.cda.xpath import has_nf, tag

# -- §4.6 author ---------------------------------------------------------------------------

@rule("SM-AUTHOR")
def author(doc: Doc, data: CdaData, out: Out) -> None:
    authors = [a for a in doc.header.at("author") if header_child(doc, a, "assignedAuthor") is not None]
    if not authors:
        out.fail(doc.root, "author/assignedAuthor obligatoire absent", "required author/assignedAuthor is missing")
    for element in authors:
        require_no_nf(out, element)
        if (assigned := header_child(doc, element, "assignedAuthor")) is not None:
            require_no_nf(out, assigned)
        require_children(doc, out, element, "time", ["value"], "author/time obligatoire absent", "required author/time is missing")


@rule("SM-AUTHOR-ID")
def author_id(doc: Doc, data: CdaData, out: Out) -> None:
    for assigned in doc.header.at("author/assignedAuthor"):
        require_children(doc, out, assigned, "id", ["root", "extension"],
                         "assignedAuthor/id obligatoire absent", "required assignedAuthor/id is missing")


@rule("SM-AUTHOR-PERSON-DEVICE")
def author_person_device(doc: Doc, data: CdaData, out: Out) -> None:
    for assigned in doc.header.at("author/assignedAuthor"):
        if len(header_children(doc, assigned, "assignedPerson")) + len(header_children(doc, assigned, "assignedAuthoringDevice")) > 1:
            out.fail(assigned, "assignedAuthor : au plus un assignedPerson ou un assignedAuthoringDevice",
                     "assignedAuthor: at most one assignedPerson or assignedAuthoringDevice")
        for device in header_children(doc, assigned, "assignedAuthoringDevice"):
            for part in ("manufacturerModelName", "softwareName"):
                if header_child(doc, device, part) is None:
                    out.fail(device, f"assignedAuthoringDevice : {part} obligatoire", f"assignedAuthoringDevice: {part} is required")


# -- §4.7 custodian, §4.8 legalAuthenticator, §4.9 authenticator ------------------------------

@rule("SM-CUSTODIAN")
def custodian(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, doc.header.at("custodian"), "custodian"):
        orgs = [org for assigned in header_children(doc, element, "assignedCustodian")
                for org in header_children(doc, assigned, "representedCustodianOrganization")]
        if len(orgs) != 1:
            out.fail(element, "assignedCustodian/representedCustodianOrganization : exactement une occurrence",
                     "assignedCustodian/representedCustodianOrganization: exactly one occurrence")
        for org in orgs:
            require_present(out, org, header_children(doc, org, "id"), "representedCustodianOrganization/id")


@rule("SM-CUSTODIAN-ID")
def custodian_id(doc: Doc, data: CdaData, out: Out) -> None:
    for element in doc.header.at("custodian/assignedCustodian/representedCustodianOrganization/id"):
        if has_nf(element):
            continue
        if require_value(out, element, "root", data.const("custodian_roots")):
            require_attrs(out, element, ["extension"])


def _signed(doc: Doc, name: str) -> list[etree._Element]:
    """The ClinicalDocument's children `name` with a signatureCode[@code='S']."""
    return [e for e in doc.header.at(name) if any(s.get("code") == "S" for s in header_children(doc, e, "signatureCode"))]


@rule("SM-LEGALAUTH")
def legal_authenticator(doc: Doc, data: CdaData, out: Out) -> None:
    elements = doc.header.at("legalAuthenticator")
    if not _signed(doc, "legalAuthenticator"):
        codes = doc.header.at("legalAuthenticator/signatureCode")
        if codes:
            require_value(out, codes[0], "code", "S")
        else:
            out.fail(elements[0] if elements else doc.root, "legalAuthenticator avec signatureCode[@code='S'] obligatoire",
                     "legalAuthenticator with signatureCode[@code='S'] is required")


@rule("SM-LEGALAUTH-TIME")
def legal_authenticator_time(doc: Doc, data: CdaData, out: Out) -> None:
    for element in doc.header.at("legalAuthenticator"):
        require_children(doc, out, element, "time", ["value"], "legalAuthenticator/time obligatoire", "legalAuthenticator/time is required")


@rule("SM-LEGALAUTH-ENTITY")
def legal_authenticator_entity(doc: Doc, data: CdaData, out: Out) -> None:
    for element in doc.header.at("legalAuthenticator"):
        entities = header_children(doc, element, "assignedEntity")
        if not entities:
            out.fail(element, "legalAuthenticator/assignedEntity obligatoire", "legalAuthenticator/assignedEntity is required")
        for entity in entities:
            for identifier in require_present(out, entity, header_children(doc, entity, "id"), "assignedEntity/id"):
                require_attrs(out, identifier, ["root", "extension"])
            persons = header_children(doc, entity, "assignedPerson")
            for person in persons:
                require_present(out, person, header_children(doc, person, "name"), "assignedPerson/name")


@rule("SM-AUTHENTICATOR")
def authenticator(doc: Doc, data: CdaData, out: Out) -> None:
    ps_root = data.const("ps_root")
    for element in doc.header.at("authenticator"):
        require_children(doc, out, element, "time", ["value"], "authenticator/time obligatoire", "authenticator/time is required")
        codes = header_children(doc, element, "signatureCode")
        if not codes:
            out.fail(element, "authenticator/signatureCode obligatoire", "authenticator/signatureCode is required")
        for code in codes:
            require_value(out, code, "code", "S")
        for entity in header_children(doc, element, "assignedEntity"):
            require_ps_id(doc, out, entity, ps_root)


# -- §4.10 informant, §4.11 informationRecipient, §4.12 participant --------------------------

@rule("SM-INFORMANT")
def informant(doc: Doc, data: CdaData, out: Out) -> None:
    for element in doc.header.at("informant"):
        entities, related = header_children(doc, element, "assignedEntity"), header_children(doc, element, "relatedEntity")
        if len(entities) + len(related) != 1:
            out.fail(element, "informant : exactement un assignedEntity ou un relatedEntity",
                     "informant: exactly one assignedEntity or relatedEntity")
        for entity in entities:
            ids = header_children(doc, entity, "id")
            if not ids:
                out.fail(entity, "informant/assignedEntity/id obligatoire", "informant/assignedEntity/id is required")
            for identifier in ids:
                if not has_nf(identifier):
                    require_attrs(out, identifier, ["root", "extension"])


@rule("SM-INFORMANT-RELATED")
def informant_related(doc: Doc, data: CdaData, out: Out) -> None:
    for entity in doc.header.at("informant/relatedEntity"):
        if require_attrs(out, entity, ["classCode"]):
            require_value(out, entity, "classCode", data.const("informant_related_classes"))
        if header_child(doc, entity, "relatedPerson") is None:
            out.fail(entity, "relatedEntity/relatedPerson obligatoire", "relatedEntity/relatedPerson is required")
        for code in header_children(doc, entity, "code"):
            require_coded(out, code, data.vs("J11"))


@rule("SM-RECIPIENT")
def recipient(doc: Doc, data: CdaData, out: Out) -> None:
    ps_root = data.const("ps_root")
    for element in doc.header.at("informationRecipient"):
        recipients = header_children(doc, element, "intendedRecipient")
        if not recipients:
            out.fail(element, "informationRecipient/intendedRecipient obligatoire", "informationRecipient/intendedRecipient is required")
        for intended in recipients:
            for template in header_children(doc, intended, "templateId"):
                require_attrs(out, template, ["root"])
            for identifier in header_children(doc, intended, "id"):
                if identifier.get("root") == ps_root:
                    require_attrs(out, identifier, ["extension"])


_LOW, _HIGH = tag("low"), tag("high")


@rule("SM-PARTICIPANT")
def participant(doc: Doc, data: CdaData, out: Out) -> None:
    vs = data.vs("J144")
    for element in doc.header.at("participant"):
        if require_attrs(out, element, ["typeCode"]) and not vs.contains(element.get("typeCode"), check_system=False):
            out.fail(element, f"participant/@typeCode « {element.get('typeCode')} » absent de {vs.label()}",
                     f"participant/@typeCode '{element.get('typeCode')}' is not in {vs.label()}", "typeCode")
        times = header_children(doc, element, "time")
        if not times:
            out.fail(element, "participant/time obligatoire", "participant/time is required")
        for time in times:
            for bound in time.iterchildren(_LOW, _HIGH):
                require_attrs(out, bound, ["value"])
        if header_child(doc, element, "associatedEntity") is None:
            out.fail(element, "participant/associatedEntity obligatoire", "participant/associatedEntity is required")


@rule("SM-PARTICIPANT-ENTITY")
def participant_entity(doc: Doc, data: CdaData, out: Out) -> None:
    vs = data.vs("J141")
    for entity in doc.header.at("participant/associatedEntity"):
        if require_attrs(out, entity, ["classCode"]) and not vs.contains(entity.get("classCode"), check_system=False):
            out.fail(entity, f"associatedEntity/@classCode « {entity.get('classCode')} » absent de {vs.label()}",
                     f"associatedEntity/@classCode '{entity.get('classCode')}' is not in {vs.label()}", "classCode")
        for identifier in header_children(doc, entity, "id"):
            require_attrs(out, identifier, ["root", "extension"])
