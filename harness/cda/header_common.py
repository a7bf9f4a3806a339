"""Structuration minimale: rules on every telecom, addr, person name, organisation and coded role of the header (§4.4–§4.14)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from lxml import etree

from harness.cda.common import Pattern, header_iter, regex, require_attrs, require_coded
from harness.cda.data import CdaData
from harness.cda.engine import Doc, Out, rule
from harness.cda.xpath import children, has_nf, local, local_name, q, tag

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
        elif not pattern.matches(value):
            out.fail(element, f"telecom « {value} » : format attendu préfixe:valeur (tel, fax, mailto, http, ftp, mllp)",
                     f"telecom '{value}': expected prefix:value (tel, fax, mailto, http, ftp, mllp)", "value")
        use = element.get("use")
        if use is not None and use not in uses:  # one code: StrucMin types @use as cs (no whitespace)
            out.fail(element, f"telecom/@use « {use} » : un seul code parmi {', '.join(sorted(uses))}",
                     f"telecom/@use '{use}': a single code among {', '.join(sorted(uses))}", "use")


@rule("SM-ADDR")
def addr(doc: Doc, data: CdaData, out: Out) -> None:
    uses, single = set(data.const("addr_uses")), set(data.const("addr_single_parts"))
    max_lines = data.const("addr_max_street_lines")
    for element, parts in _addr_parts(doc):
        use = element.get("use")
        if use is not None and use not in uses:  # one code: the StrucMin test and the cs data type accept a single value
            out.fail(element, f"addr/@use « {use} » : un seul code parmi {', '.join(sorted(uses))}",
                     f"addr/@use '{use}': a single code among {', '.join(sorted(uses))}", "use")
        counts: dict[str, int] = {}
        for name, _part in parts:
            counts[name] = counts.get(name, 0) + 1
        for name, count in sorted(counts.items()):
            if (name in single and count > 1) or (name == "streetAddressLine" and count > max_lines):
                out.fail(element, f"addr : {count} éléments {name}, trop nombreux", f"addr: {count} {name} elements, too many")


@rule("SM-ADDR-FORM")
def addr_form(doc: Doc, data: CdaData, out: Out) -> None:
    """The CI-SISAddr template offers two forms: street lines only, or structured parts only (StrucMin "-closed" warnings)."""
    structured = set(data.const("addr_structured_parts"))
    for element, named_parts in _addr_parts(doc):
        parts = [name for name, part in named_parts if part.get(_XSI_NIL) != "true"]
        if "streetAddressLine" in parts:
            others = sorted({p for p in parts if p != "streetAddressLine"})
            if others:
                out.fail(
                    element,
                    f"addr avec streetAddressLine : {', '.join(others)} non prévu(s) "
                    "(lignes d'adresse seules, ou parties structurées seules)",
                    f"addr with streetAddressLine: {', '.join(others)} not expected (either address lines only, or structured parts only)")
        else:
            unknown = sorted({p for p in parts if p not in structured})
            if unknown:
                out.fail(element, f"addr : partie(s) {', '.join(unknown)} non prévue(s) par le modèle CI-SISAddr",
                         f"addr: part(s) {', '.join(unknown)} not expected by the CI-SISAddr template")


_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def _addr_parts(doc: Doc) -> list[tuple[etree._Element, list[tuple[str, etree._Element]]]]:
    """Every addr of the header with its element children (any namespace) and their local names, in document order:
    read once for SM-ADDR and SM-ADDR-FORM (each read of .tag builds a new string)."""
    found: list[tuple[etree._Element, list[tuple[str, etree._Element]]]] | None = doc.cache.get("addr_parts")
    if found is None:
        found = doc.cache["addr_parts"] = [
            (element, [(local_name(part_tag), part) for part in element if isinstance(part_tag := part.tag, str)])
            for element in header_iter(doc, "addr")]
    return found


# -- data types of the header (the ART-DECOR DTr1 rules the StrucMin schematron runs) -------

def _header_elements(doc: Doc, names: frozenset[str]) -> list[etree._Element]:
    """Header elements named `names`, the ClinicalDocument's own children included (unlike header_iter)."""
    return doc.header.named(*names, tops=True)


_TS_ELEMENTS = frozenset(tag(n) for n in ("effectiveTime", "time", "birthTime", "low", "high", "center"))
_II_ELEMENTS = frozenset(tag(n) for n in ("id", "setId", "templateId"))


@lru_cache(maxsize=4096)  # a document repeats its timestamps, and a producer its formats
def _valid_ts(value: str, pattern: Pattern) -> bool:
    """HL7 TS: YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-Z{1,4}], and a real date and time (DTr1 dtr1-2-TS)."""
    match = pattern.match(value)
    if not match:
        return False
    digits = match.group("digits") or ""
    parts = [digits[0:4], digits[4:6] or "01", digits[6:8] or "01", digits[8:10] or "00", digits[10:12] or "00", digits[12:14] or "00"]
    try:
        year, month, day, hour, minute, second = (int(p) for p in parts)
        datetime(year, month, day, hour, minute, second)
    except ValueError:
        return False
    zone = match.group("zone")
    if not zone:
        return True
    padded = (zone[1:] + "0000")[:4]  # as DTr1 reads it: "+100" is +10:00, like the XSD pattern [+-][0-9]{1,4}
    hours, minutes = int(padded[:2]), int(padded[2:])
    return minutes < 60 and (hours < 14 or (hours == 14 and minutes == 0))


@rule("SM-DATATYPES")
def datatypes(doc: Doc, data: CdaData, out: Out) -> None:
    ts, oid, uuid = regex(data.const("ts_pattern")), regex(data.const("oid_pattern")), regex(data.const("uuid_pattern"))
    for element in _header_elements(doc, _TS_ELEMENTS | _II_ELEMENTS):
        if element.tag in _TS_ELEMENTS:
            value = element.get("value")
            if value is not None and not _valid_ts(value, ts):
                out.fail(element, f"{local(element)}/@value « {value} » n'est pas un horodatage HL7 valide (AAAAMMJJ[hhmm[ss]][+/-ZZZZ])",
                         f"{local(element)}/@value '{value}' is not a valid HL7 timestamp (YYYYMMDD[hhmm[ss]][+/-ZZZZ])", "value")
        else:
            root = element.get("root")
            if root is not None and not (oid.matches(root) or uuid.matches(root)):
                out.fail(element, f"{local(element)}/@root « {root} » n'est ni un OID ni un UUID",
                         f"{local(element)}/@root '{root}' is neither an OID nor a UUID", "root")


@rule("SM-CARDINALITY")
def strucmin_cardinality(doc: Doc, data: CdaData, out: Out) -> None:
    for path, limits in data.const("strucmin_max").items():
        if path.partition("/")[0] == "component":  # the header index does not hold the body
            for context in q(doc.root, _path_xpath(path)):
                for name, most in limits.items():
                    _too_many(out, context, name, most, children(context, name))
            continue
        for context, name, most, found in _over_limit(doc, path, limits):
            _too_many(out, context, name, most, found)


def _over_limit(doc: Doc, path: str, limits: dict[str, int]) -> list[tuple[etree._Element, str, int, list[etree._Element]]]:
    """(context, name, max, children named `name`) for the header elements at `path` holding more than max such children,
    in document order of the contexts, then in the order of `limits`: from the index (the children of the contexts at
    `path` are the elements at `path/name`); a name fewer times in the whole header than its max is not looked at further."""
    contexts = doc.header.at(path)
    if not contexts:
        return []
    broken: list[tuple[int, int, etree._Element, str, int, list[etree._Element]]] = []
    for order, (name, most) in enumerate(limits.items()):
        found = doc.header.at(f"{path}/{name}")
        if len(found) <= most:
            continue
        by_context: dict[etree._Element, list[etree._Element]] = {}
        for element in found:
            by_context.setdefault(element.getparent(), []).append(element)  # type: ignore[arg-type]  # never the root
        for context, held in by_context.items():
            if len(held) > most:
                broken.append((contexts.index(context), order, context, name, most, held))
    return [item[2:] for item in sorted(broken, key=lambda item: item[:2])]


def _too_many(out: Out, context: etree._Element, name: str, most: int, found: list[etree._Element]) -> None:
    if len(found) > most:
        out.fail(found[most], f"{local(context)} : au plus {most} {name} (Structuration minimale), {len(found)} trouvés",
                 f"{local(context)}: at most {most} {name} (Structuration minimale), {len(found)} found")


@lru_cache(maxsize=128)
def _path_xpath(path: str) -> str:
    return "/".join(f"cda:{step}" for step in path.split("/"))


@rule("SM-NAME-CIVILITY")
def name_civility(doc: Doc, data: CdaData, out: Out) -> None:
    sets, name = {tag("prefix"): data.vs("J245"), tag("suffix"): data.vs("J246")}, tag("name")
    for element in header_iter(doc, "prefix", "suffix"):
        parent = element.getparent()
        if parent is None or parent.tag != name:
            continue
        vs = sets[str(element.tag)]
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
    full = ("author/assignedAuthor/code", "participant/associatedEntity/code")
    code_only = ("legalAuthenticator/assignedEntity/code", "documentationOf/serviceEvent/performer/assignedEntity/code")
    for path in full:
        for element in doc.header.at(path):
            require_coded(out, element, vs)
    for path in code_only:
        for element in doc.header.at(path):
            require_coded(out, element, vs, attrs=("code", "codeSystem"))


@rule("SM-FUNCTIONCODE")
def function_code(doc: Doc, data: CdaData, out: Out) -> None:
    vs = data.vs("J47")
    for element in q(doc.root, "cda:author/cda:functionCode | cda:participant/cda:functionCode"):
        require_coded(out, element, vs, attrs=("code", "codeSystem"))
