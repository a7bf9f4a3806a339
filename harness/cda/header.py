"""CI-SIS header profile "Structuration minimale des documents de santé" (pack ci-sis-cda-header).

One function per requirement; constants (OIDs, fixed lists) and value sets come from the pack's
[data] tables. Section numbers refer to the volet Structuration minimale (see the pack).
"""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

from harness.cda.common import require_attrs, require_coded, require_no_nf, require_present, require_value
from harness.cda.data import CdaData
from harness.cda.engine import Doc, Out, rule
from harness.cda.xpath import child, children, has_nf, local, q

HEADER = "cda:*[not(self::cda:component)]"


@lru_cache(maxsize=32)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _templates(doc: Doc) -> list[etree._Element]:
    return children(doc.root, "templateId")


# -- §4.1 document level --------------------------------------------------------------------

@rule("SM-DOC-CLASS-MOOD")
def doc_class_mood(doc: Doc, data: CdaData, out: Out) -> None:
    for attribute, expected in (("classCode", "DOCCLIN"), ("moodCode", "EVN")):
        if doc.root.get(attribute) is not None:
            require_value(out, doc.root, attribute, expected)


@rule("SM-REALMCODE")
def realm_code(doc: Doc, data: CdaData, out: Out) -> None:
    realms = children(doc.root, "realmCode")
    if not any(r.get("code") == "FR" for r in realms):
        if realms:
            require_value(out, realms[0], "code", "FR")
        else:
            out.fail(doc.root, "realmCode[@code='FR'] obligatoire absent", "required realmCode[@code='FR'] is missing")


@rule("SM-TYPEID")
def type_id(doc: Doc, data: CdaData, out: Out) -> None:
    element = child(doc.root, "typeId")
    if element is None:
        out.fail(doc.root, "typeId obligatoire absent", "required typeId is missing")
        return
    require_value(out, element, "root", data.const("typeid_root"))
    require_value(out, element, "extension", data.const("typeid_extension"))


def _template_rule(oid_name: str, label_fr: str, label_en: str):
    def check(doc: Doc, data: CdaData, out: Out) -> None:
        oid = data.const(oid_name)
        if not any(t.get("root") == oid for t in _templates(doc)):
            out.fail(doc.root, f"templateId {oid} ({label_fr}) obligatoire absent", f"required templateId {oid} ({label_en}) is missing")
    return check


rule("SM-TEMPLATEID-HL7FR")(_template_rule("template_hl7fr", "en-tête HL7 France", "HL7 France header"))
rule("SM-TEMPLATEID-CISIS")(_template_rule("template_cisis", "en-tête CI-SIS", "CI-SIS header"))


@rule("SM-TEMPLATEID-OTHER")
def template_other(doc: Doc, data: CdaData, out: Out) -> None:
    fixed = {data.const("template_hl7fr"), data.const("template_cisis")}
    others = [t for t in _templates(doc) if t.get("root") not in fixed]
    if not others:
        out.fail(doc.root, "au moins un autre templateId (volet, ou XDS-SD pour un N1) est obligatoire",
                 "at least one other templateId (the volet's, or XDS-SD for N1) is required")
    for template in others:
        require_attrs(out, template, ["root"])


@rule("SM-ID")
def doc_id(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, children(doc.root, "id"), "id"):
        require_attrs(out, element, ["root"])


@rule("SM-CODE")
def doc_code(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, children(doc.root, "code"), "code"):
        require_attrs(out, element, ["code", "codeSystem", "displayName"])


@rule("SM-CODE-J07")
def doc_code_j07(doc: Doc, data: CdaData, out: Out) -> None:
    vs = data.vs("J07")
    for element in children(doc.root, "code"):
        if not has_nf(element) and element.get("code") and not vs.contains(element.get("code"), element.get("codeSystem")):
            out.fail(element, f"type de document {element.get('code')}@{element.get('codeSystem')} absent de {vs.label()}",
                     f"document type {element.get('code')}@{element.get('codeSystem')} is not in {vs.label()}", "code")


@rule("SM-TITLE")
def doc_title(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, children(doc.root, "title"), "title"):
        if not (element.text or "").strip():
            out.fail(element, "title vide", "empty title")


@rule("SM-EFFECTIVETIME")
def doc_effective_time(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, children(doc.root, "effectiveTime"), "effectiveTime"):
        require_attrs(out, element, ["value"])


@rule("SM-CONFIDENTIALITY")
def confidentiality(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, children(doc.root, "confidentialityCode"), "confidentialityCode"):
        require_coded(out, element, data.vs("HL7_CONFIDENTIALITY"))


@rule("SM-CONFIDENTIALITY-CISIS")
def confidentiality_cisis(doc: Doc, data: CdaData, out: Out) -> None:
    vs = data.vs("J08")
    for element in children(doc.root, "confidentialityCode"):
        if not has_nf(element) and not vs.contains(element.get("code"), element.get("codeSystem")):
            out.fail(element, f"code de confidentialité {element.get('code')} hors du jeu CI-SIS {vs.label()}",
                     f"confidentiality code {element.get('code')} is outside the CI-SIS set {vs.label()}", "code")


@rule("SM-LANGUAGE")
def language(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, children(doc.root, "languageCode"), "languageCode"):
        if require_attrs(out, element, ["code"]) and not _regex(data.const("language_pattern")).match(element.get("code")):
            out.fail(element, f"languageCode « {element.get('code')} » : format attendu ll-CC (ex. fr-FR)",
                     f"languageCode '{element.get('code')}': expected format ll-CC (e.g. fr-FR)", "code")


@rule("SM-SETID")
def set_id(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, children(doc.root, "setId"), "setId"):
        require_attrs(out, element, ["root"])


@rule("SM-VERSIONNUMBER")
def version_number(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, children(doc.root, "versionNumber"), "versionNumber"):
        if require_attrs(out, element, ["value"]) and not re.fullmatch(r"-?[0-9]+", element.get("value")):
            out.fail(element, f"versionNumber « {element.get('value')} » n'est pas un entier", f"versionNumber '{element.get('value')}' is not an integer", "value")


# -- §4.2 recordTarget and patient ----------------------------------------------------------

def _patients(doc: Doc) -> list[etree._Element]:
    return q(doc.root, "cda:recordTarget/cda:patientRole/cda:patient")


@rule("SM-RECORDTARGET")
def record_target(doc: Doc, data: CdaData, out: Out) -> None:
    for target in require_present(out, doc.root, children(doc.root, "recordTarget"), "recordTarget"):
        roles = [r for r in children(target, "patientRole") if child(r, "patient") is not None]
        if not roles:
            out.fail(target, "patientRole/patient obligatoire absent", "required patientRole/patient is missing")
        for role in roles:
            require_no_nf(out, child(role, "patient"))


@rule("SM-PATIENT-ID")
def patient_id(doc: Doc, data: CdaData, out: Out) -> None:
    for role in q(doc.root, "cda:recordTarget/cda:patientRole"):
        for element in require_present(out, role, children(role, "id"), "patientRole/id"):
            require_attrs(out, element, ["root", "extension"])


@rule("SM-PATIENT-NAME")
def patient_name(doc: Doc, data: CdaData, out: Out) -> None:
    for patient in _patients(doc):
        for name in require_present(out, patient, children(patient, "name"), "patient/name"):
            require_present(out, name, children(name, "family"), "family")
            require_present(out, name, children(name, "given"), "given")


@rule("SM-PATIENT-FAMILY-QUALIFIER")
def patient_family_qualifier(doc: Doc, data: CdaData, out: Out) -> None:
    allowed = data.const("patient_family_qualifiers")
    for family in q(doc.root, "cda:recordTarget/cda:patientRole/cda:patient/cda:name/cda:family[not(@nullFlavor)]"):
        if require_attrs(out, family, ["qualifier"]):
            require_value(out, family, "qualifier", allowed)


@rule("SM-PATIENT-GIVEN-QUALIFIER")
def patient_given_qualifier(doc: Doc, data: CdaData, out: Out) -> None:
    allowed = data.const("patient_given_qualifiers")
    for given in q(doc.root, "cda:recordTarget/cda:patientRole/cda:patient/cda:name/cda:given[@qualifier]"):
        require_value(out, given, "qualifier", allowed)


@rule("SM-PATIENT-GENDER")
def patient_gender(doc: Doc, data: CdaData, out: Out) -> None:
    for patient in _patients(doc):
        codes = children(patient, "administrativeGenderCode")
        if not codes:
            out.fail(patient, "administrativeGenderCode obligatoire absent", "required administrativeGenderCode is missing")
        for element in codes:
            if has_nf(element) and element.get("code") is None:
                continue
            if require_attrs(out, element, ["code"]):
                require_coded(out, element, data.vs("J143"), attrs=["code"], check_system=False)


@rule("SM-PATIENT-BIRTHTIME")
def patient_birth_time(doc: Doc, data: CdaData, out: Out) -> None:
    for patient in _patients(doc):
        times = children(patient, "birthTime")
        if not times:
            out.fail(patient, "birthTime obligatoire absent", "required birthTime is missing")
        for element in times:
            require_attrs(out, element, ["value"])


@rule("SM-PATIENT-INS")
def patient_ins(doc: Doc, data: CdaData, out: Out) -> None:
    ins_roots = set(data.const("ins_roots"))
    for role in q(doc.root, "cda:recordTarget/cda:patientRole"):
        if not any(i.get("root") in ins_roots for i in children(role, "id")):
            continue
        patient = child(role, "patient")
        if patient is None:
            continue
        traits = [
            ("cda:name/cda:family[@qualifier='BR']", "nom de naissance (family@qualifier=BR)", "birth name (family@qualifier=BR)"),
            ("cda:name/cda:given[@qualifier='BR']", "premier prénom de naissance (given@qualifier=BR)", "first birth given name (given@qualifier=BR)"),
            ("cda:name/cda:given[not(@qualifier)]", "liste des prénoms de naissance (given sans qualifier)", "list of birth given names (given without qualifier)"),
            ("cda:birthTime", "date de naissance (birthTime)", "birth date (birthTime)"),
            ("cda:birthplace/cda:place/cda:addr/cda:county", "code COG du lieu de naissance (birthplace/place/addr/county)", "birthplace COG code (birthplace/place/addr/county)"),
            ("cda:administrativeGenderCode/@code", "sexe (administrativeGenderCode/@code)", "sex (administrativeGenderCode/@code)"),
        ]
        for expression, fr, en in traits:
            if not q(patient, expression):
                out.fail(patient, f"identité INS : trait obligatoire absent : {fr}", f"INS identity: required trait missing: {en}")


@rule("SM-PATIENT-GUARDIAN")
def patient_guardian(doc: Doc, data: CdaData, out: Out) -> None:
    structure_root = data.const("structure_root")
    for guardian in q(doc.root, "cda:recordTarget/cda:patientRole/cda:patient/cda:guardian"):
        persons, orgs = children(guardian, "guardianPerson"), children(guardian, "guardianOrganization")
        if len(persons) + len(orgs) != 1:
            out.fail(guardian, "guardian : exactement un guardianPerson ou un guardianOrganization",
                     "guardian: exactly one guardianPerson or guardianOrganization")
        for person in persons:
            names = [n for n in children(person, "name") if children(n, "family")]
            if not names:
                out.fail(person, "guardianPerson : name/family obligatoire", "guardianPerson: name/family is required")
            for family in q(person, "cda:name/cda:family[@qualifier]"):
                require_value(out, family, "qualifier", data.const("guardian_family_qualifiers"))
        for org in orgs:
            for element in children(org, "id"):
                if element.get("root") == structure_root:
                    require_attrs(out, element, ["extension"])


@rule("SM-PATIENT-BIRTHPLACE")
def patient_birthplace(doc: Doc, data: CdaData, out: Out) -> None:
    for birthplace in q(doc.root, "cda:recordTarget/cda:patientRole/cda:patient/cda:birthplace"):
        if child(birthplace, "place") is None:
            out.fail(birthplace, "birthplace : place obligatoire", "birthplace: place is required")


@rule("SM-PATIENT-FORBIDDEN")
def patient_forbidden(doc: Doc, data: CdaData, out: Out) -> None:
    for element in q(doc.root, "cda:recordTarget/cda:patientRole/cda:patient/*[self::cda:religiousAffiliationCode or self::cda:raceCode or self::cda:ethnicGroupCode]"):
        out.fail(element, f"{local(element)} ne doit pas être transmis", f"{local(element)} must not be sent")


# -- §4.4 / §4.5 telecom, addr, names everywhere in the header --------------------------------

@rule("SM-TELECOM")
def telecom(doc: Doc, data: CdaData, out: Out) -> None:
    pattern = _regex(data.const("telecom_pattern"))
    null_flavors, uses = set(data.const("telecom_null_flavors")), set(data.const("telecom_uses"))
    for element in q(doc.root, f"{HEADER}//cda:telecom"):
        value, nf = element.get("value"), element.get("nullFlavor")
        if value is None:
            if nf not in null_flavors:
                out.fail(element, f"telecom sans @value : un nullFlavor parmi {', '.join(sorted(null_flavors))} est obligatoire",
                         f"telecom without @value: a nullFlavor among {', '.join(sorted(null_flavors))} is required", "nullFlavor")
        elif not pattern.match(value):
            out.fail(element, f"telecom « {value} » : format attendu préfixe:valeur (tel, fax, mailto, http, ftp, mllp)",
                     f"telecom '{value}': expected prefix:value (tel, fax, mailto, http, ftp, mllp)", "value")
        use = element.get("use")
        if use is not None and not set(use.split()) <= uses:
            out.fail(element, f"telecom/@use « {use} » hors de {', '.join(sorted(uses))}", f"telecom/@use '{use}' is not in {', '.join(sorted(uses))}", "use")


@rule("SM-ADDR")
def addr(doc: Doc, data: CdaData, out: Out) -> None:
    uses, single = set(data.const("addr_uses")), set(data.const("addr_single_parts"))
    max_lines = data.const("addr_max_street_lines")
    for element in q(doc.root, f"{HEADER}//cda:addr"):
        use = element.get("use")
        if use is not None and not set(use.split()) <= uses:
            out.fail(element, f"addr/@use « {use} » hors de {', '.join(sorted(uses))}", f"addr/@use '{use}' is not in {', '.join(sorted(uses))}", "use")
        counts: dict[str, int] = {}
        for part in element:
            if isinstance(part.tag, str):
                counts[local(part)] = counts.get(local(part), 0) + 1
        for name, count in sorted(counts.items()):
            if (name in single and count > 1) or (name == "streetAddressLine" and count > max_lines):
                out.fail(element, f"addr : {count} éléments {name}, trop nombreux", f"addr: {count} {name} elements, too many")


@rule("SM-NAME-CIVILITY")
def name_civility(doc: Doc, data: CdaData, out: Out) -> None:
    for expression, key in (("//cda:name/cda:prefix", "J245"), ("//cda:name/cda:suffix", "J246")):
        vs = data.vs(key)
        for element in q(doc.root, expression):
            value = (element.text or "").strip()
            if not vs.contains(value, check_system=False):
                out.fail(element, f"{local(element)} « {value} » absent de {vs.label()}", f"{local(element)} '{value}' is not in {vs.label()}")


_PERSONS = ("cda:assignedPerson", "cda:informationRecipient", "cda:relatedPerson", "cda:associatedPerson")


@rule("SM-PERSON-NAME")
def person_name(doc: Doc, data: CdaData, out: Out) -> None:
    expression = f"{HEADER}//*[{' or '.join('self::' + p for p in _PERSONS)}]"
    for person in q(doc.root, expression):
        names = children(person, "name")
        usable = [n for n in names if not has_nf(n)]
        if names and not usable:
            out.fail(names[0], "nom de personne : nullFlavor interdit", "person name: nullFlavor is not allowed", "nullFlavor")
        if not any(children(n, "family") for n in usable):
            out.fail(names[0] if names else person, "nom de personne : family obligatoire", "person name: family is required")


@rule("SM-ORG-ID")
def org_id(doc: Doc, data: CdaData, out: Out) -> None:
    root = data.const("structure_root")
    expression = f"{HEADER}//*[self::cda:representedOrganization or self::cda:receivedOrganization]/cda:id[@root='{root}']"
    for element in q(doc.root, expression):
        require_attrs(out, element, ["extension"])


@rule("SM-PRACTICE-SETTING")
def practice_setting(doc: Doc, data: CdaData, out: Out) -> None:
    vs = data.vs("J04")
    for element in q(doc.root, f"{HEADER}//cda:representedOrganization/cda:standardIndustryClassCode"):
        require_coded(out, element, vs)


@rule("SM-SPECIALTY")
def specialty(doc: Doc, data: CdaData, out: Out) -> None:
    vs = data.vs("J01")
    full = ("cda:author/cda:assignedAuthor/cda:code", "cda:participant/cda:associatedEntity/cda:code")
    code_only = ("cda:legalAuthenticator/cda:assignedEntity/cda:code",
                 "cda:documentationOf/cda:serviceEvent/cda:performer/cda:assignedEntity/cda:code")
    for expression in full:
        for element in q(doc.root, expression):
            require_coded(out, element, vs)
    for expression in code_only:
        for element in q(doc.root, expression):
            require_coded(out, element, vs, attrs=("code", "codeSystem"))


@rule("SM-FUNCTIONCODE")
def function_code(doc: Doc, data: CdaData, out: Out) -> None:
    vs = data.vs("J47")
    for element in q(doc.root, "cda:author/cda:functionCode | cda:participant/cda:functionCode"):
        require_coded(out, element, vs, attrs=("code", "codeSystem"))


# -- §4.6 author ---------------------------------------------------------------------------

@rule("SM-AUTHOR")
def author(doc: Doc, data: CdaData, out: Out) -> None:
    authors = [a for a in children(doc.root, "author") if child(a, "assignedAuthor") is not None]
    if not authors:
        out.fail(doc.root, "author/assignedAuthor obligatoire absent", "required author/assignedAuthor is missing")
    for element in authors:
        require_no_nf(out, element)
        require_no_nf(out, child(element, "assignedAuthor"))
        times = children(element, "time")
        if not times:
            out.fail(element, "author/time obligatoire absent", "required author/time is missing")
        for time in times:
            require_attrs(out, time, ["value"])


@rule("SM-AUTHOR-ID")
def author_id(doc: Doc, data: CdaData, out: Out) -> None:
    for assigned in q(doc.root, "cda:author/cda:assignedAuthor"):
        ids = children(assigned, "id")
        if not ids:
            out.fail(assigned, "assignedAuthor/id obligatoire absent", "required assignedAuthor/id is missing")
        for element in ids:
            require_attrs(out, element, ["root", "extension"])


@rule("SM-AUTHOR-PERSON-DEVICE")
def author_person_device(doc: Doc, data: CdaData, out: Out) -> None:
    for assigned in q(doc.root, "cda:author/cda:assignedAuthor"):
        if len(children(assigned, "assignedPerson")) + len(children(assigned, "assignedAuthoringDevice")) > 1:
            out.fail(assigned, "assignedAuthor : au plus un assignedPerson ou un assignedAuthoringDevice",
                     "assignedAuthor: at most one assignedPerson or assignedAuthoringDevice")
        for device in children(assigned, "assignedAuthoringDevice"):
            for part in ("manufacturerModelName", "softwareName"):
                if child(device, part) is None:
                    out.fail(device, f"assignedAuthoringDevice : {part} obligatoire", f"assignedAuthoringDevice: {part} is required")


# -- §4.7 custodian, §4.8 legalAuthenticator, §4.9 authenticator ------------------------------

@rule("SM-CUSTODIAN")
def custodian(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, children(doc.root, "custodian"), "custodian"):
        orgs = q(element, "cda:assignedCustodian/cda:representedCustodianOrganization")
        if len(orgs) != 1:
            out.fail(element, "assignedCustodian/representedCustodianOrganization : exactement une occurrence",
                     "assignedCustodian/representedCustodianOrganization: exactly one occurrence")
        for org in orgs:
            require_present(out, org, children(org, "id"), "representedCustodianOrganization/id")


@rule("SM-CUSTODIAN-ID")
def custodian_id(doc: Doc, data: CdaData, out: Out) -> None:
    for element in q(doc.root, "cda:custodian/cda:assignedCustodian/cda:representedCustodianOrganization/cda:id[not(@nullFlavor)]"):
        if require_value(out, element, "root", data.const("custodian_roots")):
            require_attrs(out, element, ["extension"])


def _signed(parent: etree._Element, name: str) -> list[etree._Element]:
    return [e for e in children(parent, name) if any(s.get("code") == "S" for s in children(e, "signatureCode"))]


@rule("SM-LEGALAUTH")
def legal_authenticator(doc: Doc, data: CdaData, out: Out) -> None:
    elements = children(doc.root, "legalAuthenticator")
    if not _signed(doc.root, "legalAuthenticator"):
        codes = q(doc.root, "cda:legalAuthenticator/cda:signatureCode")
        if codes:
            require_value(out, codes[0], "code", "S")
        else:
            out.fail(elements[0] if elements else doc.root, "legalAuthenticator avec signatureCode[@code='S'] obligatoire",
                     "legalAuthenticator with signatureCode[@code='S'] is required")


@rule("SM-LEGALAUTH-TIME")
def legal_authenticator_time(doc: Doc, data: CdaData, out: Out) -> None:
    for element in children(doc.root, "legalAuthenticator"):
        times = children(element, "time")
        if not times:
            out.fail(element, "legalAuthenticator/time obligatoire", "legalAuthenticator/time is required")
        for time in times:
            require_attrs(out, time, ["value"])


@rule("SM-LEGALAUTH-ENTITY")
def legal_authenticator_entity(doc: Doc, data: CdaData, out: Out) -> None:
    for element in children(doc.root, "legalAuthenticator"):
        entities = children(element, "assignedEntity")
        if not entities:
            out.fail(element, "legalAuthenticator/assignedEntity obligatoire", "legalAuthenticator/assignedEntity is required")
        for entity in entities:
            for identifier in require_present(out, entity, children(entity, "id"), "assignedEntity/id"):
                require_attrs(out, identifier, ["root", "extension"])
            persons = children(entity, "assignedPerson")
            for person in persons:
                require_present(out, person, children(person, "name"), "assignedPerson/name")


@rule("SM-AUTHENTICATOR")
def authenticator(doc: Doc, data: CdaData, out: Out) -> None:
    ps_root = data.const("ps_root")
    for element in children(doc.root, "authenticator"):
        times = children(element, "time")
        if not times:
            out.fail(element, "authenticator/time obligatoire", "authenticator/time is required")
        for time in times:
            require_attrs(out, time, ["value"])
        codes = children(element, "signatureCode")
        if not codes:
            out.fail(element, "authenticator/signatureCode obligatoire", "authenticator/signatureCode is required")
        for code in codes:
            require_value(out, code, "code", "S")
        for entity in children(element, "assignedEntity"):
            ids = [i for i in children(entity, "id") if i.get("root") == ps_root]
            if not ids:
                out.fail(entity, f"assignedEntity/id[@root='{ps_root}'] (RPPS/ADELI) obligatoire", f"assignedEntity/id[@root='{ps_root}'] (RPPS/ADELI) is required")
            for identifier in ids:
                require_attrs(out, identifier, ["extension"])


# -- §4.10 informant, §4.11 informationRecipient, §4.12 participant --------------------------

@rule("SM-INFORMANT")
def informant(doc: Doc, data: CdaData, out: Out) -> None:
    for element in children(doc.root, "informant"):
        entities, related = children(element, "assignedEntity"), children(element, "relatedEntity")
        if len(entities) + len(related) != 1:
            out.fail(element, "informant : exactement un assignedEntity ou un relatedEntity", "informant: exactly one assignedEntity or relatedEntity")
        for entity in entities:
            ids = children(entity, "id")
            if not ids:
                out.fail(entity, "informant/assignedEntity/id obligatoire", "informant/assignedEntity/id is required")
            for identifier in ids:
                if not has_nf(identifier):
                    require_attrs(out, identifier, ["root", "extension"])


@rule("SM-INFORMANT-RELATED")
def informant_related(doc: Doc, data: CdaData, out: Out) -> None:
    for entity in q(doc.root, "cda:informant/cda:relatedEntity"):
        if require_attrs(out, entity, ["classCode"]):
            require_value(out, entity, "classCode", data.const("informant_related_classes"))
        if child(entity, "relatedPerson") is None:
            out.fail(entity, "relatedEntity/relatedPerson obligatoire", "relatedEntity/relatedPerson is required")
        for code in children(entity, "code"):
            require_coded(out, code, data.vs("J11"))


@rule("SM-RECIPIENT")
def recipient(doc: Doc, data: CdaData, out: Out) -> None:
    ps_root = data.const("ps_root")
    for element in children(doc.root, "informationRecipient"):
        recipients = children(element, "intendedRecipient")
        if not recipients:
            out.fail(element, "informationRecipient/intendedRecipient obligatoire", "informationRecipient/intendedRecipient is required")
        for intended in recipients:
            for template in children(intended, "templateId"):
                require_attrs(out, template, ["root"])
            for identifier in children(intended, "id"):
                if identifier.get("root") == ps_root:
                    require_attrs(out, identifier, ["extension"])


@rule("SM-PARTICIPANT")
def participant(doc: Doc, data: CdaData, out: Out) -> None:
    vs = data.vs("J144")
    for element in children(doc.root, "participant"):
        if require_attrs(out, element, ["typeCode"]) and not vs.contains(element.get("typeCode"), check_system=False):
            out.fail(element, f"participant/@typeCode « {element.get('typeCode')} » absent de {vs.label()}",
                     f"participant/@typeCode '{element.get('typeCode')}' is not in {vs.label()}", "typeCode")
        times = children(element, "time")
        if not times:
            out.fail(element, "participant/time obligatoire", "participant/time is required")
        for bound in q(element, "cda:time/cda:low | cda:time/cda:high"):
            require_attrs(out, bound, ["value"])
        if child(element, "associatedEntity") is None:
            out.fail(element, "participant/associatedEntity obligatoire", "participant/associatedEntity is required")


@rule("SM-PARTICIPANT-ENTITY")
def participant_entity(doc: Doc, data: CdaData, out: Out) -> None:
    vs = data.vs("J141")
    for entity in q(doc.root, "cda:participant/cda:associatedEntity"):
        if require_attrs(out, entity, ["classCode"]) and not vs.contains(entity.get("classCode"), check_system=False):
            out.fail(entity, f"associatedEntity/@classCode « {entity.get('classCode')} » absent de {vs.label()}",
                     f"associatedEntity/@classCode '{entity.get('classCode')}' is not in {vs.label()}", "classCode")
        for identifier in children(entity, "id"):
            require_attrs(out, identifier, ["root", "extension"])


# -- inFulfillmentOf, documentationOf, relatedDocument, authorization --------------------------

@rule("SM-INFULFILLMENTOF")
def in_fulfillment_of(doc: Doc, data: CdaData, out: Out) -> None:
    for element in children(doc.root, "inFulfillmentOf"):
        orders = children(element, "order")
        if not orders:
            out.fail(element, "inFulfillmentOf/order obligatoire", "inFulfillmentOf/order is required")
        for order in orders:
            if child(order, "id") is None:
                out.fail(order, "order/id obligatoire", "order/id is required")


@rule("SM-DOCUMENTATIONOF")
def documentation_of(doc: Doc, data: CdaData, out: Out) -> None:
    for element in require_present(out, doc.root, children(doc.root, "documentationOf"), "documentationOf"):
        require_present(out, element, children(element, "serviceEvent"), "serviceEvent")


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


@rule("SM-SERVICEEVENT-CODE")
def service_event_code(doc: Doc, data: CdaData, out: Out) -> None:
    for code in q(doc.root, "cda:documentationOf/cda:serviceEvent/cda:code"):
        if not has_nf(code):
            require_attrs(out, code, ["code", "codeSystem"])
    for qualifier in q(doc.root, "cda:documentationOf/cda:serviceEvent/cda:code/cda:translation/cda:qualifier"):
        if child(qualifier, "name") is None:
            out.fail(qualifier, "qualifier/name obligatoire", "qualifier/name is required")


@rule("SM-SERVICEEVENT-TIME")
def service_event_time(doc: Doc, data: CdaData, out: Out) -> None:
    for time in q(doc.root, "cda:documentationOf/cda:serviceEvent/cda:effectiveTime"):
        lows = children(time, "low")
        if not lows:
            out.fail(time, "serviceEvent/effectiveTime/low obligatoire", "serviceEvent/effectiveTime/low is required")
        for low in lows:
            require_attrs(out, low, ["value"])


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
                out.fail(entity, "performer/assignedEntity/representedOrganization obligatoire", "performer/assignedEntity/representedOrganization is required")
            for org in orgs:
                require_present(out, org, children(org, "standardIndustryClassCode"), "standardIndustryClassCode")


@rule("SM-RELATEDDOCUMENT")
def related_document(doc: Doc, data: CdaData, out: Out) -> None:
    elements = children(doc.root, "relatedDocument")
    if len(elements) > 1:
        out.fail(elements[1], "relatedDocument : au plus une occurrence", "relatedDocument: at most one occurrence")
    for element in elements:
        require_value(out, element, "typeCode", "RPLC")
        for parent in require_present(out, element, children(element, "parentDocument"), "parentDocument"):
            for identifier in require_present(out, parent, children(parent, "id"), "parentDocument/id"):
                require_attrs(out, identifier, ["root"])


@rule("SM-AUTHORIZATION")
def authorization(doc: Doc, data: CdaData, out: Out) -> None:
    for element in children(doc.root, "authorization"):
        require_value(out, element, "typeCode", "AUTH")
        consents = children(element, "consent")
        if not consents:
            out.fail(element, "authorization/consent obligatoire", "authorization/consent is required")
        for consent in consents:
            require_value(out, consent, "classCode", "CONS")
            require_value(out, consent, "moodCode", "EVN")
            if child(consent, "code") is None:
                out.fail(consent, "consent/code obligatoire", "consent/code is required")
            statuses = children(consent, "statusCode")
            if not statuses:
                out.fail(consent, "consent/statusCode obligatoire", "consent/statusCode is required")
            for status in statuses:
                if not has_nf(status):
                    require_value(out, status, "code", "completed")


# -- §4.14 componentOf / encompassingEncounter ---------------------------------------------------

def _encounters(doc: Doc) -> list[etree._Element]:
    return q(doc.root, "cda:componentOf/cda:encompassingEncounter")


@rule("SM-ENCOMPASSINGENCOUNTER")
def encompassing_encounter(doc: Doc, data: CdaData, out: Out) -> None:
    for component in require_present(out, doc.root, children(doc.root, "componentOf"), "componentOf"):
        for encounter in require_present(out, component, children(component, "encompassingEncounter"), "encompassingEncounter"):
            if child(encounter, "effectiveTime") is None:
                out.fail(encounter, "encompassingEncounter/effectiveTime obligatoire", "encompassingEncounter/effectiveTime is required")
            facilities = q(encounter, "cda:location/cda:healthCareFacility")
            require_present(out, encounter, facilities, "location/healthCareFacility")


@rule("SM-ENCOUNTER-ID")
def encounter_id(doc: Doc, data: CdaData, out: Out) -> None:
    for encounter in _encounters(doc):
        for identifier in children(encounter, "id"):
            if not has_nf(identifier):
                require_attrs(out, identifier, ["root"])


@rule("SM-ENCOUNTER-CODE")
def encounter_code(doc: Doc, data: CdaData, out: Out) -> None:
    for encounter in _encounters(doc):
        for code in children(encounter, "code"):
            require_coded(out, code, data.vs("J142"))


@rule("SM-DISCHARGE")
def discharge(doc: Doc, data: CdaData, out: Out) -> None:
    for encounter in _encounters(doc):
        for code in children(encounter, "dischargeDispositionCode"):
            require_attrs(out, code, ["code", "displayName"])
            require_value(out, code, "codeSystem", data.const("discharge_code_system"))


def _ps_entity(out: Out, entity: etree._Element, ps_root: str) -> None:
    ids = [i for i in children(entity, "id") if i.get("root") == ps_root]
    if not ids:
        out.fail(entity, f"assignedEntity/id[@root='{ps_root}'] (RPPS/ADELI) obligatoire", f"assignedEntity/id[@root='{ps_root}'] (RPPS/ADELI) is required")
    for identifier in ids:
        require_attrs(out, identifier, ["extension"])


@rule("SM-RESPONSIBLEPARTY")
def responsible_party(doc: Doc, data: CdaData, out: Out) -> None:
    ps_root = data.const("ps_root")
    for encounter in _encounters(doc):
        for party in children(encounter, "responsibleParty"):
            entities = children(party, "assignedEntity")
            if not entities:
                out.fail(party, "responsibleParty/assignedEntity obligatoire", "responsibleParty/assignedEntity is required")
            for entity in entities:
                _ps_entity(out, entity, ps_root)
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
                _ps_entity(out, entity, ps_root)


@rule("SM-FACILITY-CODE")
def facility_code(doc: Doc, data: CdaData, out: Out) -> None:
    vs = data.vs("J02")
    for facility in q(doc.root, "cda:componentOf/cda:encompassingEncounter/cda:location/cda:healthCareFacility[not(@nullFlavor)]"):
        for code in require_present(out, facility, children(facility, "code"), "healthCareFacility/code"):
            require_coded(out, code, vs)
            for translation in children(code, "translation"):
                require_attrs(out, translation, ["code", "codeSystem", "displayName"])


# -- N1 documents (§3) ------------------------------------------------------------------------

def _is_n1(doc: Doc) -> bool:
    return doc.is_n1


@rule("SM-N1-TEMPLATEIDS", when=_is_n1)
def n1_template_ids(doc: Doc, data: CdaData, out: Out) -> None:
    allowed = [data.const("template_hl7fr"), data.const("template_cisis"), data.const("template_xdssd")]
    roots = [t.get("root") for t in _templates(doc)]
    if data.const("template_xdssd") not in roots:
        out.fail(doc.root, f"document N1 : templateId XDS-SD {data.const('template_xdssd')} obligatoire",
                 f"N1 document: XDS-SD templateId {data.const('template_xdssd')} is required")
    for template in _templates(doc):
        if template.get("root") not in allowed:
            out.fail(template, f"document N1 : seuls les templateId {', '.join(allowed)} sont autorisés",
                     f"N1 document: only templateIds {', '.join(allowed)} are allowed", "root")
