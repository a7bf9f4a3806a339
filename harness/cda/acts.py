"""Structuration minimale: the lab:statusCode of documentationOf/serviceEvent (§4.13).

The other rules of inFulfillmentOf, documentationOf/serviceEvent, relatedDocument, authorization and
componentOf/encompassingEncounter (§4.1, §4.13, §4.14) are declarative checks of the pack
ci-sis-cda-header (cda_checks, harness.cda.declarative)."""

from __future__ import annotations

from lxml import etree

from harness.cda.common import require_value, templates
from harness.cda.data import CdaData
from harness.cda.engine import Doc, Out, rule
from harness.cda.xpath import NS, tag

_LAB_STATUS = f"{{{NS['lab']}}}statusCode"


@rule("SM-LAB-STATUSCODE")
def lab_status_code(doc: Doc, data: CdaData, out: Out) -> None:
    codes = [code for event in doc.header.at("documentationOf/serviceEvent") for code in event.iterchildren(_LAB_STATUS)]
    if not codes:
        return
    allowed = set(data.const("lab_status_templates"))
    is_lab_report = any(t.get("root") in allowed for t in templates(doc)) or any(
        c.get("code") in data.const("lab_status_document_codes") for c in doc.header.at("code"))
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
