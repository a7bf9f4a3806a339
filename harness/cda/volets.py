"""Volets: detection by templateId and version, and native checks of VSM, CR-BIO and LDL-SES.

The volets table is data of the pack ci-sis-cda-volets ([data.volets.<KEY>]): templateId, known
versions (and aliases seen in the field, and the version assumed when the templateId has no
extension), document code, and for the volets checked natively the header constraints and
mandatory sections, with per-version overrides. The functions here only read that table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from harness.cda.data import CdaData
from harness.cda.engine import Doc, Out, Rule, VoletMatch, rule
from harness.cda.pdf import base64_ends, looks_like_pdf
from harness.cda.voletversion import infer_version
from harness.cda.xpath import child, children, has_nf, q


def detect_volet(doc: Doc, data: CdaData, overrides: dict[str, str] | None = None) -> VoletMatch | None:
    """The first header templateId naming a volet of the table (N1 documents have no volet), with its version.

    `overrides`: volet name or key (upper case) → version, from --volet-version.
    """
    if doc.is_n1:
        return None
    by_template = data.volet_by_template
    for template in children(doc.root, "templateId"):
        key = by_template.get(template.get("root"))
        if key is None:
            continue
        spec = data.volets[key]
        override = (overrides or {}).get(spec["name"].upper()) or (overrides or {}).get(key.upper())
        return VoletMatch(key, spec["name"], template, infer_version(spec["name"], spec, template.get("extension"), override))
    return None


@rule("VOL-DETECT", when=lambda doc: doc.is_n3)
def volet_detected(doc: Doc, data: CdaData, out: Out) -> None:
    if doc.volet is None:
        out.fail(doc.root, "aucun templateId de volet connu : seules les règles génériques s'appliquent",
                 "no known volet templateId: only the generic rules apply")


@rule("VOL-VERSION", when=lambda doc: doc.volet is not None)
def volet_version(doc: Doc, data: CdaData, out: Out) -> None:
    volet = doc.volet
    assert volet is not None
    if volet.version is None:
        out.fail(volet.template, f"{volet.inference.why_fr} ; seules les règles communes à toutes les versions du volet s'appliquent",
                 f"{volet.inference.why_en}; only the rules common to every version of the volet apply", "extension")


@rule("VOL-VERSION-APPLIED", when=lambda doc: doc.volet is not None)
def volet_version_applied(doc: Doc, data: CdaData, out: Out) -> None:
    volet = doc.volet
    assert volet is not None
    if volet.version is not None and not volet.inference.declared:  # says which version applies, and why (info)
        out.fail(volet.template, f"règles de la version {volet.version} du volet {volet.name} appliquées : {volet.inference.why_fr}",
                 f"rules of version {volet.version} of volet {volet.name} applied: {volet.inference.why_en}")


@rule("VOL-DOCUMENT-CODE", when=lambda doc: doc.volet is not None and "code" in doc.volet_spec)
def volet_document_code(doc: Doc, data: CdaData, out: Out) -> None:
    spec = doc.volet_spec
    for code in children(doc.root, "code"):
        if (code.get("code"), code.get("codeSystem")) != (spec["code"], spec["code_system"]):
            out.fail(code, f"le volet {spec['name']} impose code={spec['code']}@{spec['code_system']}",
                     f"volet {spec['name']} requires code={spec['code']}@{spec['code_system']}", "code")


def _for(key: str) -> Callable[[Doc], bool]:
    return lambda doc: doc.volet is not None and doc.volet.key == key


def _native(doc: Doc) -> dict[str, Any]:
    """The volet's native-check parameters, with the overrides of the detected version ([native.by_version."<v>"]);
    an undetermined version takes [native.by_version.common], what every version requires."""
    native = doc.volet_spec.get("native", {})
    version = doc.volet.version if doc.volet else None
    overrides = native.get("by_version", {}).get(version or "common", {})
    return {**native, **overrides} if overrides else native


def _matches(element: etree._Element, wanted: dict[str, str]) -> bool:
    return all(element.get(name) == value for name, value in wanted.items())


def header_check(doc: Doc, data: CdaData, out: Out) -> None:
    """Fixed header values of a volet: title, code attributes, header templateIds, serviceEvent code, versionNumber."""
    native, name = _native(doc), doc.volet_spec["name"]
    if "title" in native:
        title = child(doc.root, "title")
        if title is None or (title.text or "").strip() != native["title"]:
            out.fail(title if title is not None else doc.root, f"{name} : title doit valoir « {native['title']} »",
                     f"{name}: title must be '{native['title']}'")
    if "code_attributes" in native:
        code = child(doc.root, "code")
        if code is None or not _matches(code, native["code_attributes"]):
            shown = ", ".join(f"@{k}='{v}'" for k, v in native["code_attributes"].items())
            out.fail(code if code is not None else doc.root, f"{name} : code doit porter {shown}", f"{name}: code must carry {shown}")
    roots = {t.get("root") for t in children(doc.root, "templateId")}
    for template in native.get("header_templates", []):
        if template not in roots:
            out.fail(doc.root, f"{name} : templateId {template} obligatoire", f"{name}: templateId {template} is required")
    if "service_event_code" in native:
        wanted = native["service_event_code"]
        if not any(_matches(c, wanted) for c in q(doc.root, "cda:documentationOf/cda:serviceEvent/cda:code")):
            shown = ", ".join(f"@{k}='{v}'" for k, v in wanted.items())
            events = q(doc.root, "cda:documentationOf/cda:serviceEvent")
            out.fail(events[0] if events else doc.root, f"{name} : documentationOf/serviceEvent/code doit porter {shown}",
                     f"{name}: documentationOf/serviceEvent/code must carry {shown}")
    if native.get("version_number_positive"):
        version = child(doc.root, "versionNumber")
        value = version.get("value") if version is not None else None
        if version is None or has_nf(version) or not (value or "").isdigit() or int(value or "0") <= 0:
            out.fail(version if version is not None else doc.root, f"{name} : versionNumber/@value entier positif obligatoire",
                     f"{name}: versionNumber/@value must be a positive integer")


def sections_check(doc: Doc, data: CdaData, out: Out) -> None:
    """Mandatory sections: at level 1 of structuredBody, or anywhere when the volet says so."""
    native, name = _native(doc), doc.volet_spec["name"]
    for body in doc.structured_bodies():
        expression = (".//cda:section/cda:templateId/@root" if native.get("sections_anywhere")
                      else "cda:component/cda:section/cda:templateId/@root")
        present = set(q(body, expression))
        for section in native.get("required_sections", []):
            if section["root"] not in present:
                out.fail(body, f"{name} : section « {section['name']} » ({section['root']}) obligatoire absente",
                         f"{name}: required section '{section['name']}' ({section['root']}) is missing")
        for sub in native.get("required_subsections", []):
            for parent in q(body, f"cda:component/cda:section[cda:templateId/@root='{sub['parent']}']"):
                if sub["root"] not in q(parent, "cda:component/cda:section/cda:templateId/@root"):
                    out.fail(parent, f"{name} : la section {sub['parent']} doit contenir la sous-section « {sub['name']} » ({sub['root']})",
                             f"{name}: section {sub['parent']} must hold the sub-section '{sub['name']}' ({sub['root']})")


HEADER_KEYS = ("title", "code_attributes", "header_templates", "service_event_code", "version_number_positive")
SECTION_KEYS = ("required_sections", "required_subsections")


def native_rules(data: CdaData) -> list[Rule]:
    """The native checks the volets table asks for, derived from it (no volet is named here): for each volet with a
    [native] table, `<requirement_prefix>-SECTIONS` when it lists mandatory sections and `<requirement_prefix>-HEADER`
    when it fixes header values (in the table or in one of its versions)."""
    sections: list[Rule] = []
    headers: list[Rule] = []
    for key, spec in data.volets.items():
        native = spec.get("native")
        if not native:
            continue
        tables = [native, *native.get("by_version", {}).values()]
        if any(name in table for table in tables for name in SECTION_KEYS):
            sections.append(Rule(f"{native['requirement_prefix']}-SECTIONS", sections_check, _for(key)))
        if any(name in table for table in tables for name in HEADER_KEYS):
            headers.append(Rule(f"{native['requirement_prefix']}-HEADER", header_check, _for(key)))
    return sections + headers


# -- CR-BIO specific rules (Entete_CR-BIO, S_documentPDFCopie_ANS, E_organizerDocumentAttache_ANS) ---
# (the CR-BIO header rules on the patient's nullFlavors, authenticator, performer and responsible party are
# declarative checks of the pack ci-sis-cda-volets: cda_checks, harness.cda.declarative)

@rule("VOL-CRBIO-LEVEL1", when=_for("CR-BIO"))
def crbio_level1(doc: Doc, data: CdaData, out: Out) -> None:
    allowed = set(_native(doc)["allowed_level1_sections"])
    for section in q(doc.root, "cda:component/cda:structuredBody/cda:component/cda:section"):
        if not any(t.get("root") in allowed for t in children(section, "templateId")):
            out.fail(section, "CR-BIO : section de niveau 1 non autorisée", "CR-BIO: level-1 section not allowed")


@rule("VOL-CRBIO-PDF", when=_for("CR-BIO"))
def crbio_pdf(doc: Doc, data: CdaData, out: Out) -> None:
    spec = _native(doc)["pdf_section"]
    for section in q(doc.root, f"cda:component/cda:structuredBody/cda:component/cda:section[cda:templateId/@root='{spec['root']}']"):
        title = child(section, "title")
        if title is None or (title.text or "").strip() != spec["title"]:
            out.fail(title if title is not None else section, f"section PDF : title « {spec['title']} » attendu",
                     f"PDF section: title '{spec['title']}' expected")
        code = child(section, "code")
        if code is None or not _matches(code, spec["code"]):
            out.fail(code if code is not None else section, f"section PDF : code {spec['code']['code']} (LOINC) attendu",
                     f"PDF section: code {spec['code']['code']} (LOINC) expected")
        if child(section, "text") is None:
            out.fail(section, "section PDF : text obligatoire", "PDF section: text is required")
        organizers = q(section, f".//cda:organizer[cda:templateId/@root='{spec['entry']}']")
        if not organizers:
            out.fail(section, f"section PDF : entrée Document attaché ({spec['entry']}) obligatoire",
                     f"PDF section: attached-document entry ({spec['entry']}) is required")
        for organizer in organizers:
            if not q(organizer, "cda:component/cda:observation/cda:templateId[@root='1.3.6.1.4.1.19376.1.5.3.1.4.13']"):
                out.fail(
                    organizer,
                    "Document attaché : une observation simple (1.3.6.1.4.1.19376.1.5.3.1.4.13, type de document) est obligatoire",
                    "attached document: a Simple Observation (1.3.6.1.4.1.19376.1.5.3.1.4.13, document type) is required")
            values = q(organizer, "cda:component/cda:observationMedia/cda:value")
            if not values:
                out.fail(organizer, "Document attaché : observationMedia/value obligatoire",
                         "attached document: observationMedia/value is required")
            for value in values:
                if has_nf(value):
                    continue
                payload = base64_ends(value.text) if value.get("representation") == "B64" else None
                if value.get("mediaType") != "application/pdf" or payload is None or not looks_like_pdf(payload):
                    out.fail(value, "Document attaché : un PDF encodé en base64 (mediaType application/pdf, B64) est attendu",
                             "attached document: a base64-encoded PDF (mediaType application/pdf, B64) is expected")
