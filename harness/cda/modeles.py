"""CI-SIS "Modèles de contenus CDA": the generic value-set checks of coded elements (pack ci-sis-cda-modeles).

The agency's profile schematron checks some coded elements wherever they occur, header and body
alike (abstract pattern dansJeuDeValeurs): a code element whose path ends with the pattern's path
(e.g. author/assignedAuthor/code) carries @code and @codeSystem in the value set, unless it has a
nullFlavor (one of `coded_null_flavors`) or an xsi:type other than CD/CE. The requirements, paths
and value sets are pack data ([data.cda.coded_value_sets]). One scan of the document, shared by
every such rule, finds the elements (`_coded_elements`).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from harness.cda.data import CdaData
from harness.cda.engine import Doc, Out, rule
from harness.cda.xpath import local, tag

_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def _follow(element: etree._Element, steps: list[str]) -> list[etree._Element]:
    """The descendants of `element` reached by the child steps `steps` (CDA namespace)."""
    found = [element]
    for step in steps:
        found = [c for e in found for c in e.iterchildren(tag(step))]
    return found


def _coded_elements(doc: Doc, data: CdaData) -> dict[str, list[etree._Element]]:
    """Requirement → the elements its path names, from one scan of the document (cached on `doc`).

    A path `a/b/c` matched anywhere names the `c` children of `b` children of any `a`: the scan looks
    for the paths' first steps (author, administrativeGenderCode: rare) rather than their last
    (code: in every entry), then follows the remaining steps.
    """
    found = doc.cache.get("coded_value_sets")
    if found is None:
        by_first = _paths_by_first_step(data)
        found = {requirement: [] for steps in by_first.values() for requirement, _ in steps}
        if by_first:
            for first, paths in by_first.items():  # a requirement has one path: its elements in document order
                for element in doc.everywhere(first):
                    for requirement, rest in paths:
                        found[requirement].extend(_follow(element, rest))
        doc.cache["coded_value_sets"] = found
    return found


# keyed by the identity of the pack's table, which the value keeps alive (so the id cannot be reused)
_PATHS: dict[int, tuple[dict[str, Any], dict[str, list[tuple[str, list[str]]]]]] = {}


def _paths_by_first_step(data: CdaData) -> dict[str, list[tuple[str, list[str]]]]:
    """Clark tag of a path's first step → (requirement, the path's other steps), in the table's order (once per pack data)."""
    table = data.const("coded_value_sets", {})
    hit = _PATHS.get(id(table))
    if hit is None:
        by_first: dict[str, list[tuple[str, list[str]]]] = {}
        for requirement, spec in table.items():
            first, *rest = spec["path"].split("/")
            by_first.setdefault(tag(first), []).append((requirement, rest))
        hit = _PATHS[id(table)] = (table, by_first)
    return hit[1]


def coded_in_value_set(doc: Doc, data: CdaData, out: Out) -> None:
    spec = data.const("coded_value_sets")[out.requirement]
    vs, null_flavors = data.vs(spec["valueset"]), set(data.const("coded_null_flavors"))
    for element in _coded_elements(doc, data)[out.requirement]:
        xsi_type = element.get(_XSI_TYPE)
        if xsi_type is not None and xsi_type not in ("CD", "CE"):
            continue  # another data type (compared as written, as the kit does): not a coded value of this value set
        code, system, null_flavor = element.get("code"), element.get("codeSystem"), element.get("nullFlavor")
        if null_flavor is not None:
            if not (code and system) and null_flavor not in null_flavors:
                out.fail(element,
                         f"{local(element)} : nullFlavor « {null_flavor} » non admis (attendu : {', '.join(sorted(null_flavors))})",
                         f"{local(element)}: nullFlavor '{null_flavor}' not allowed (expected: {', '.join(sorted(null_flavors))})",
                         "nullFlavor")
        elif not (code and system):
            out.fail(element, f"{local(element)} : @code et @codeSystem obligatoires ({spec['path']}, {vs.label()})",
                     f"{local(element)}: @code and @codeSystem are required ({spec['path']}, {vs.label()})")
        elif not vs.contains(code, system):
            out.fail(element, f"{spec['path']} : le code {code}@{system} n'appartient pas au jeu de valeurs {vs.label()}",
                     f"{spec['path']}: code {code}@{system} is not in value set {vs.label()}", "code")


for _requirement in ("MOD-JDV-AUTHOR-SPECIALTY", "MOD-JDV-GENDER"):
    rule(_requirement)(coded_in_value_set)
