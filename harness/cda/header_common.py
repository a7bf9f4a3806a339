"""Structuration minimale: rules on every telecom, addr, person name, organisation and coded role of the header (§4.4–§4.14)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from lxml import etree

from harness.cda.common import (
    Pattern,
    compiled,
    header_children,
    header_iter,
    header_suspects,
    header_union,
    regex,
    require_attrs,
    require_coded,
)
from harness.cda.data import CdaData
from harness.cda.engine import Doc, Out, rule
from harness.cda.xpath import children, has_nf, local, local_name, q, tag

# -- §4.4 / §4.5 telecom, addr, names everywhere in the header --------------------------------

@rule("SM-TELECOM")
def telecom(doc: Doc, data: CdaData, out: Out) -> None:
    pattern = regex(data.const("telecom_pattern"))
    null_flavors, uses = set(data.const("telecom_null_flavors")), set(data.const("telecom_uses"))
    for element in header_iter(doc, "telecom"):
        value = element.get("value")
        if value is None:
            if element.get("nullFlavor") not in null_flavors:
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
    uses, single = set(data.const("addr_uses")), frozenset(data.const("addr_single_parts"))
    max_lines = data.const("addr_max_street_lines")
    for element, part_tags in _addr_parts(doc):
        use = element.get("use")
        if use is not None and use not in uses:  # one code: the StrucMin test and the cs data type accept a single value
            out.fail(element, f"addr/@use « {use} » : un seul code parmi {', '.join(sorted(uses))}",
                     f"addr/@use '{use}': a single code among {', '.join(sorted(uses))}", "use")
        for name, count in _too_many_parts(part_tags, single, max_lines):
            out.fail(element, f"addr : {count} éléments {name}, trop nombreux", f"addr: {count} {name} elements, too many")


@lru_cache(maxsize=1024)  # a document's addresses, and a producer's, repeat the same parts
def _too_many_parts(part_tags: tuple[str, ...], single: frozenset[str], max_lines: int) -> list[tuple[str, int]]:
    """(local name, count) of the parts of one addr (their tags) that occur too often, by name."""
    counts: dict[str, int] = {}
    for name in map(local_name, part_tags):
        counts[name] = counts.get(name, 0) + 1
    return [(name, count) for name, count in sorted(counts.items())
            if (name in single and count > 1) or (name == "streetAddressLine" and count > max_lines)]


@rule("SM-ADDR-FORM")
def addr_form(doc: Doc, data: CdaData, out: Out) -> None:
    """The CI-SISAddr template offers two forms: street lines only, or structured parts only (StrucMin "-closed" warnings)."""
    structured = frozenset(data.const("addr_structured_parts"))
    for element, part_tags in _addr_parts(doc):
        if not _unexpected_parts(part_tags, structured)[1]:
            continue  # then none without its xsi:nil parts either: leaving parts out removes reasons to fail, never adds one
        part_tags = tuple(str(part.tag) for part in element if isinstance(part.tag, str) and part.get(_XSI_NIL) != "true")
        with_lines, unexpected = _unexpected_parts(part_tags, structured)
        if with_lines and unexpected:
            out.fail(
                element,
                f"addr avec streetAddressLine : {', '.join(unexpected)} non prévu(s) "
                "(lignes d'adresse seules, ou parties structurées seules)",
                f"addr with streetAddressLine: {', '.join(unexpected)} not expected (either address lines only, or structured parts only)")
        elif unexpected:
            out.fail(element, f"addr : partie(s) {', '.join(unexpected)} non prévue(s) par le modèle CI-SISAddr",
                     f"addr: part(s) {', '.join(unexpected)} not expected by the CI-SISAddr template")


@lru_cache(maxsize=1024)
def _unexpected_parts(part_tags: tuple[str, ...], structured: frozenset[str]) -> tuple[bool, list[str]]:
    """(whether the addr has street lines, the local names of its parts not expected in that form, sorted): with street
    lines, any other part; without, any part outside the structured form."""
    names = set(map(local_name, part_tags))
    if "streetAddressLine" in names:
        return True, sorted(names - {"streetAddressLine"})
    return False, sorted(names - structured)


_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def _addr_parts(doc: Doc) -> list[tuple[etree._Element, tuple[str, ...]]]:
    """Every addr of the header with the tags of its element children (any namespace), in document order: read once
    for SM-ADDR and SM-ADDR-FORM, from the header index when every child is a CDA element (each read of .tag builds
    a new string)."""
    found: list[tuple[etree._Element, tuple[str, ...]]] | None = doc.cache.get("addr_parts")
    if found is None:
        found = doc.cache["addr_parts"] = []
        for element in header_iter(doc, "addr"):
            part_tags = doc.header.child_tags(element)
            if len(part_tags) != len(element):  # a child of another namespace, or a comment: read the children
                part_tags = tuple(part_tag for part in element if isinstance(part_tag := part.tag, str))
            found.append((element, part_tags))
    return found


# -- data types of the header (the ART-DECOR DTr1 rules the StrucMin schematron runs) -------

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


@lru_cache(maxsize=16)
def _datatype_tests(ts: Pattern, oid: Pattern, uuid: Pattern) -> dict[str, Callable[[etree._Element], bool]]:
    """The test of an invalid value for each Clark tag SM-DATATYPES reads, made once per set of patterns."""

    def invalid_ts(element: etree._Element) -> bool:
        value = element.get("value")
        return value is not None and not _valid_ts(value, ts)

    def invalid_ii(element: etree._Element) -> bool:
        root = element.get("root")
        return root is not None and not (oid.matches(root) or uuid.matches(root))

    return {**dict.fromkeys(_TS_ELEMENTS, invalid_ts), **dict.fromkeys(_II_ELEMENTS, invalid_ii)}


@rule("SM-DATATYPES")
def datatypes(doc: Doc, data: CdaData, out: Out) -> None:
    tests = _datatype_tests(regex(data.const("ts_pattern")), regex(data.const("oid_pattern")), regex(data.const("uuid_pattern")))
    for element in header_suspects(doc, tests, tops=True):
        if element.tag in _TS_ELEMENTS:
            value = element.get("value")
            out.fail(element, f"{local(element)}/@value « {value} » n'est pas un horodatage HL7 valide (AAAAMMJJ[hhmm[ss]][+/-ZZZZ])",
                     f"{local(element)}/@value '{value}' is not a valid HL7 timestamp (YYYYMMDD[hhmm[ss]][+/-ZZZZ])", "value")
        else:
            root = element.get("root")
            out.fail(element, f"{local(element)}/@root « {root} » n'est ni un OID ni un UUID",
                     f"{local(element)}/@root '{root}' is neither an OID nor a UUID", "root")


_Limits = list[tuple[str, int, str]]  # (element name, max, its Clark tag) for one context path, in the table's order


@dataclass(frozen=True)
class _LimitTable:
    """The pack's strucmin_max table, compiled once."""

    paths: list[tuple[str, bool, _Limits]]  # (context path, whether in the body, its limits), in the table's order
    most: dict[str, tuple[str, int]]  # path of a limited header element → (its context path, max)


def _compile_limits(table: dict[str, dict[str, int]]) -> _LimitTable:
    paths = [(path, path.partition("/")[0] == "component", [(name, most, tag(name)) for name, most in limits.items()])
             for path, limits in table.items()]
    return _LimitTable(paths, {f"{path}/{name}": (path, most) for path, in_body, limits in paths if not in_body
                               for name, most, _tag in limits})


@rule("SM-CARDINALITY")
def strucmin_cardinality(doc: Doc, data: CdaData, out: Out) -> None:
    table = compiled(data, "strucmin_max", _compile_limits)
    by_path = doc.header.paths()
    # the context paths with an element more often in the whole header than its max: only their contexts may hold too many
    crowded = {table.most[path][0] for path in by_path.keys() & table.most.keys() if len(by_path[path]) > table.most[path][1]}
    for path, in_body, limits in table.paths:
        if in_body:  # the header index does not hold the body
            for context in q(doc.root, _path_xpath(path)):
                for name, most, _tag in limits:
                    _too_many(out, context, name, most, children(context, name))
        elif path in crowded:
            for context in doc.header.at(path):
                child_tags = doc.header.child_tags(context)  # counted from the index; the children read only when too many
                for name, most, name_tag in limits:
                    if child_tags.count(name_tag) > most:
                        _too_many(out, context, name, most, children(context, name))


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

    def outside(element: etree._Element) -> bool:  # a person name's prefix or suffix outside its value set
        parent = element.getparent()
        return parent is not None and parent.tag == name and not sets[str(element.tag)].contains(
            (element.text or "").strip(), check_system=False)

    for element in header_suspects(doc, dict.fromkeys(sets, outside)):
        vs = sets[str(element.tag)]
        value = (element.text or "").strip()
        out.fail(element, f"{local(element)} « {value} » absent de {vs.label()}", f"{local(element)} '{value}' is not in {vs.label()}")


_PERSONS = tuple(tag(n) for n in ("assignedPerson", "informationRecipient", "relatedPerson", "associatedPerson"))


def _name_faults(doc: Doc, person: etree._Element) -> tuple[bool, bool]:
    """(every name of `person` has a nullFlavor, no name of `person` without nullFlavor has a family)."""
    names = header_children(doc, person, "name")
    usable = [n for n in names if not has_nf(n)]
    return bool(names) and not usable, not any(header_children(doc, n, "family") for n in usable)


@rule("SM-PERSON-NAME")
def person_name(doc: Doc, data: CdaData, out: Out) -> None:
    for person in header_suspects(doc, dict.fromkeys(_PERSONS, lambda person: any(_name_faults(doc, person)))):
        names = header_children(doc, person, "name")
        all_null, no_family = _name_faults(doc, person)
        if all_null:
            out.fail(names[0], "nom de personne : nullFlavor interdit", "person name: nullFlavor is not allowed", "nullFlavor")
        if no_family:
            out.fail(names[0] if names else person, "nom de personne : family obligatoire", "person name: family is required")


@rule("SM-ORG-ID")
def org_id(doc: Doc, data: CdaData, out: Out) -> None:
    root = data.const("structure_root")
    for org in header_iter(doc, "representedOrganization", "receivedOrganization"):
        for element in header_children(doc, org, "id"):
            if element.get("root") == root:
                require_attrs(out, element, ["extension"])


@rule("SM-PRACTICE-SETTING")
def practice_setting(doc: Doc, data: CdaData, out: Out) -> None:
    vs = data.vs("J04")
    for org in header_iter(doc, "representedOrganization"):
        for element in header_children(doc, org, "standardIndustryClassCode"):
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
    for element in header_union(doc, "author/functionCode", "participant/functionCode"):
        require_coded(out, element, vs, attrs=("code", "codeSystem"))
