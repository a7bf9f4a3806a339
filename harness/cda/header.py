"""CI-SIS header "Structuration minimale des documents de santé", document-level rules (pack ci-sis-cda-header, §4.1).

The header rules are split by part of the header: header.py (document level), patient.py
(recordTarget, INS), header_common.py (telecom, addr, names, organisations, coded roles everywhere),
participants.py (author, custodian, authenticators, informant, recipient, participant), acts.py
(inFulfillmentOf, documentationOf, relatedDocument, authorization, componentOf) and nonxml.py (N1).
Constants (OIDs, fixed lists) and value sets come from the pack's [data] tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from harness.cda.common import regex, require_attrs, require_coded, require_present, require_value, templates
from harness.cda.data import CdaData
from harness.cda.engine import Doc, Out, rule
from harness.cda.xpath import has_nf

# -- §4.1 document level --------------------------------------------------------------------

@rule("SM-DOC-CLASS-MOOD")
def doc_class_mood(doc: Doc, data: CdaData, out: Out) -> None:
    for attribute, expected in (("classCode", "DOCCLIN"), ("moodCode", "EVN")):
        if doc.root.get(attribute) is not None:
            require_value(out, doc.root, attribute, expected)


@rule("SM-REALMCODE")
def realm_code(doc: Doc, data: CdaData, out: Out) -> None:
    realms = doc.header.at("realmCode")
    if not any(r.get("code") == "FR" for r in realms):
        if realms:
            require_value(out, realms[0], "code", "FR")
        else:
            out.fail(doc.root, "realmCode[@code='FR'] obligatoire absent", "required realmCode[@code='FR'] is missing")


@rule("SM-TYPEID")
def type_id(doc: Doc, data: CdaData, out: Out) -> None:
    found = doc.header.at("typeId")
    if not found:
        out.fail(doc.root, "typeId obligatoire absent", "required typeId is missing")
        return
    element = found[0]
    require_value(out, element, "root", data.const("typeid_root"))
    require_value(out, element, "extension", data.const("typeid_extension"))


def _template_rule(oid_name: str, label_fr: str, label_en: str) -> Callable[[Doc, CdaData, Out], None]:
    def check(doc: Doc, data: CdaData, out: Out) -> None:
        oid = data.const(oid_name)
        if not any(t.get("root") == oid for t in templates(doc)):
            out.fail(doc.root, f"templateId {oid} ({label_fr}) obligatoire absent", f"required templateId {oid} ({label_en}) is missing")
    return check


rule("SM-TEMPLATEID-HL7FR")(_template_rule("template_hl7fr", "en-tête HL7 France", "HL7 France header"))
rule("SM-TEMPLATEID-CISIS")(_template_rule("template_cisis", "en-tête CI-SIS", "CI-SIS header"))


@rule("SM-TEMPLATEID-OTHER")
def template_other(doc: Doc, data: CdaData, out: Out) -> None:
    fixed = {data.const("template_hl7fr"), data.const("template_cisis")}
    others = [t for t in templates(doc) if t.get("root") not in fixed]
    if not others:
        out.fail(doc.root, "au moins un autre templateId (volet, ou XDS-SD pour un N1) est obligatoire",
                 "at least one other templateId (the volet's, or XDS-SD for N1) is required")
    for template in others:
        require_attrs(out, template, ["root"])


@rule("SM-ID")
def doc_id(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, doc.header.at("id"), "id"):
        require_attrs(out, element, ["root"])


@rule("SM-CODE")
def doc_code(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, doc.header.at("code"), "code"):
        require_attrs(out, element, ["code", "codeSystem", "displayName"])


@rule("SM-CODE-J07")
def doc_code_j07(doc: Doc, data: CdaData, out: Out) -> None:
    vs = data.vs("J07")
    for element in doc.header.at("code"):
        if not has_nf(element) and element.get("code") and not vs.contains(element.get("code"), element.get("codeSystem")):
            out.fail(element, f"type de document {element.get('code')}@{element.get('codeSystem')} absent de {vs.label()}",
                     f"document type {element.get('code')}@{element.get('codeSystem')} is not in {vs.label()}", "code")


@rule("SM-TITLE")
def doc_title(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, doc.header.at("title"), "title"):
        if not (element.text or "").strip():
            out.fail(element, "title vide", "empty title")


@rule("SM-EFFECTIVETIME")
def doc_effective_time(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, doc.header.at("effectiveTime"), "effectiveTime"):
        require_attrs(out, element, ["value"])


@rule("SM-CONFIDENTIALITY")
def confidentiality(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, doc.header.at("confidentialityCode"), "confidentialityCode"):
        require_coded(out, element, data.vs("HL7_CONFIDENTIALITY"))


@rule("SM-CONFIDENTIALITY-CISIS")
def confidentiality_cisis(doc: Doc, data: CdaData, out: Out) -> None:
    vs = data.vs("J08")
    for element in doc.header.at("confidentialityCode"):
        if not has_nf(element) and not vs.contains(element.get("code"), element.get("codeSystem")):
            out.fail(element, f"code de confidentialité {element.get('code')} hors du jeu CI-SIS {vs.label()}",
                     f"confidentiality code {element.get('code')} is outside the CI-SIS set {vs.label()}", "code")


@rule("SM-LANGUAGE")
def language(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, doc.header.at("languageCode"), "languageCode"):
        if require_attrs(out, element, ["code"]) and not regex(data.const("language_pattern")).matches(element.get("code", "")):
            out.fail(element, f"languageCode « {element.get('code')} » : format attendu ll-CC (ex. fr-FR)",
                     f"languageCode '{element.get('code')}': expected format ll-CC (e.g. fr-FR)", "code")


@rule("SM-SETID")
def set_id(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, doc.header.at("setId"), "setId"):
        require_attrs(out, element, ["root"])


_INTEGER = re.compile(r"-?[0-9]+")


@rule("SM-VERSIONNUMBER")
def version_number(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, doc.header.at("versionNumber"), "versionNumber"):
        if require_attrs(out, element, ["value"]) and not _INTEGER.fullmatch(element.get("value", "")):
            out.fail(element, f"versionNumber « {element.get('value')} » n'est pas un entier",
                     f"versionNumber '{element.get('value')}' is not an integer", "value")
