"""Structuration minimale: inFulfillmentOf, documentationOf/serviceEvent, relatedDocument, authorization,
componentOf/encompassingEncounter (§4.1, §4.13, §4.14)."""

from __future__ import annotations

from lxml import etree

from harness.cda.common import require_attrs, require_coded, require_present, require_ps_id, require_value, templates
from harness.cda.data import CdaData
from harness.cda.engine import Doc, Out, rule
from harness.cda.xpath import child, children, q, tag

# -- inFulfillmentOf, documentationOf, relatedDocument, authorization --------------------------

@rule("SM-SERVICEEVENT-MAIN")
def service_event_main(doc: Doc, data: CdaData, out: Out) -> None:
    events = q(doc.root, "cda:documentationOf/cda:serviceEvent")
    if events:
        main = events[0]
        for name in ("performer", "effectiveTime"):
            count = len(children(main, name))
            if count != 1:
                out.fail(main, f"acte principal (premier serviceEvent) : exactement un {name} attendu, {count} trouvé(s)",
                         f"main act (first serviceEvent): exactly one {name} expected, {count} found")


@rule("SM-LAB-STATUSCODE")
def lab_status_code(doc: Doc, data: CdaData, out: Out) -> None:
    codes = q(doc.root, "cda:documentationOf/cda:serviceEvent/lab:statusCode")
    if not codes:
        return
    allowed = set(data.const("lab_status_templates"))
    is_lab_report = any(t.get("root") in allowed for t in templates(doc)) or any(
        c.get("code") in data.const("lab_status_document_codes") for c in children(doc.root, "code"))
    for code in codes:
        if not _lab_status_in_place(code):
            out.fail(code, "lab:statusCode mal placé : après serviceEvent/code, avant effectiveTime et performer",
                     "lab:statusCode out of place: after serviceEvent/code, before effectiveTime and performer")
        if not is_lab_report:
            out.fail(code, "lab:statusCode n'est autorisé que dans les comptes rendus de biologie et d'anatomopathologie",
                     "lab:statusCode is allowed only in laboratory and pathology reports")
        else:
            require_value(out, code, "code", data.const("lab_status_codes"))


# CDA_extended.xsd (IHE XD-LAB extension):
# serviceEvent = realmCode*, typeId?, templateId*, id*, code?, lab:statusCode?, effectiveTime?, performer*
_BEFORE_LAB_STATUS = frozenset(tag(n) for n in ("realmCode", "typeId", "templateId", "id", "code"))
_AFTER_LAB_STATUS = frozenset(tag(n) for n in ("effectiveTime", "performer"))


def _lab_status_in_place(code: etree._Element) -> bool:
    before = all(e.tag in _BEFORE_LAB_STATUS for e in code.itersiblings(preceding=True)
                 if isinstance(e.tag, str) and e.tag.startswith("{urn:hl7-org:v3}"))
    after = all(e.tag in _AFTER_LAB_STATUS for e in code.itersiblings() if isinstance(e.tag, str) and e.tag.startswith("{urn:hl7-org:v3}"))
    return before and after


@rule("SM-PERFORMER")
def performer(doc: Doc, data: CdaData, out: Out) -> None:
    for element in q(doc.root, "cda:documentationOf/cda:serviceEvent/cda:performer"):
        require_value(out, element, "typeCode", "PRF")
        entities = children(element, "assignedEntity")
        if not entities:
            out.fail(element, "performer/assignedEntity obligatoire", "performer/assignedEntity is required")
        for entity in entities:
            if child(entity, "id") is None:
                out.fail(entity, "performer/assignedEntity/id obligatoire", "performer/assignedEntity/id is required")
            orgs = children(entity, "representedOrganization")
            if not orgs:
                out.fail(entity, "performer/assignedEntity/representedOrganization obligatoire",
                         "performer/assignedEntity/representedOrganization is required")
            for org in orgs:
                require_present(out, org, children(org, "standardIndustryClassCode"), "standardIndustryClassCode")


# -- §4.14 componentOf / encompassingEncounter ---------------------------------------------------

def _encounters(doc: Doc) -> list[etree._Element]:
    return q(doc.root, "cda:componentOf/cda:encompassingEncounter")


@rule("SM-ENCOUNTER-CODE")
def encounter_code(doc: Doc, data: CdaData, out: Out) -> None:
    for encounter in _encounters(doc):
        for code in children(encounter, "code"):
            require_coded(out, code, data.vs("J142"))


@rule("SM-RESPONSIBLEPARTY")
def responsible_party(doc: Doc, data: CdaData, out: Out) -> None:
    ps_root = data.const("ps_root")
    for encounter in _encounters(doc):
        for party in children(encounter, "responsibleParty"):
            entities = children(party, "assignedEntity")
            if not entities:
                out.fail(party, "responsibleParty/assignedEntity obligatoire", "responsibleParty/assignedEntity is required")
            for entity in entities:
                require_ps_id(out, entity, ps_root)
                for identifier in q(entity, "cda:representedOrganization/cda:id"):
                    require_attrs(out, identifier, ["root", "extension"])


@rule("SM-ENCOUNTERPARTICIPANT")
def encounter_participant(doc: Doc, data: CdaData, out: Out) -> None:
    ps_root, vs = data.const("ps_root"), data.vs("J140")
    for encounter in _encounters(doc):
        for element in children(encounter, "encounterParticipant"):
            if require_attrs(out, element, ["typeCode"]) and not vs.contains(element.get("typeCode"), check_system=False):
                out.fail(element, f"encounterParticipant/@typeCode « {element.get('typeCode')} » absent de {vs.label()}",
                         f"encounterParticipant/@typeCode '{element.get('typeCode')}' is not in {vs.label()}", "typeCode")
            for bound in q(element, "cda:time/cda:low | cda:time/cda:high"):
                require_attrs(out, bound, ["value"])
            entities = children(element, "assignedEntity")
            if not entities:
                out.fail(element, "encounterParticipant/assignedEntity obligatoire", "encounterParticipant/assignedEntity is required")
            for entity in entities:
                require_ps_id(out, entity, ps_root)


@rule("SM-FACILITY-CODE")
def facility_code(doc: Doc, data: CdaData, out: Out) -> None:
    vs = data.vs("J02")
    for facility in q(doc.root, "cda:componentOf/cda:encompassingEncounter/cda:location/cda:healthCareFacility[not(@nullFlavor)]"):
        for code in require_present(out, facility, children(facility, "code"), "healthCareFacility/code"):
            require_coded(out, code, vs)
            for translation in children(code, "translation"):
                require_attrs(out, translation, ["code", "codeSystem", "displayName"])
