"""Structuration minimale: rules on every telecom, addr, person name, organisation and coded role of the header (§4.4–§4.14)."""

from __future__ import annotations

from harness.cda.common import header_iter, regex, require_attrs, require_coded
from harness.cda.data import CdaData
from harness.cda.engine import Doc, Out, rule
from harness.cda.xpath import children, has_nf, local, q, tag


# -- §4.4 / §4.5 telecom, addr, names everywhere in the header --------------------------------

@rule("SM-TELECOM")
def telecom(doc: Doc, data: CdaData, out: Out) -> None:
    pattern = regex(data.const("telecom_pattern"))
    null_flavors, uses = set(data.const("telecom_null_flavors")), set(data.const("telecom_uses"))
    for element in header_iter(doc, "telecom"):
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
    for element in header_iter(doc, "addr"):
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
    sets, name = {tag("prefix"): data.vs("J245"), tag("suffix"): data.vs("J246")}, tag("name")
    for element in header_iter(doc, "prefix", "suffix"):
        if element.getparent().tag != name:
            continue
        vs = sets[element.tag]
        value = (element.text or "").strip()
        if not vs.contains(value, check_system=False):
            out.fail(element, f"{local(element)} « {value} » absent de {vs.label()}", f"{local(element)} '{value}' is not in {vs.label()}")


_PERSONS = ("assignedPerson", "informationRecipient", "relatedPerson", "associatedPerson")


@rule("SM-PERSON-NAME")
def person_name(doc: Doc, data: CdaData, out: Out) -> None:
    for person in header_iter(doc, *_PERSONS):
        names = children(person, "name")
        usable = [n for n in names if not has_nf(n)]
        if names and not usable:
            out.fail(names[0], "nom de personne : nullFlavor interdit", "person name: nullFlavor is not allowed", "nullFlavor")
        if not any(children(n, "family") for n in usable):
            out.fail(names[0] if names else person, "nom de personne : family obligatoire", "person name: family is required")


@rule("SM-ORG-ID")
def org_id(doc: Doc, data: CdaData, out: Out) -> None:
    root = data.const("structure_root")
    for org in header_iter(doc, "representedOrganization", "receivedOrganization"):
        for element in children(org, "id"):
            if element.get("root") == root:
                require_attrs(out, element, ["extension"])


@rule("SM-PRACTICE-SETTING")
def practice_setting(doc: Doc, data: CdaData, out: Out) -> None:
    vs = data.vs("J04")
    for org in header_iter(doc, "representedOrganization"):
        for element in children(org, "standardIndustryClassCode"):
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
