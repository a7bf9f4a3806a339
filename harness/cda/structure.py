"""The project's own CDA R2 structural checks (pack ci-sis-cda-structure).

The HL7 schema cannot ship with the project; these rules check what matters of it for the
CI-SIS: the order and cardinality of the ClinicalDocument header elements, the body choice, and
the structuredBody/component/section/entry nesting or the nonXMLBody. Element orders and
cardinalities are data of the pack ([data.cda] *_elements tables: [name, min, max], max "*" = unbounded).
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from harness.cda.data import CdaData
from harness.cda.engine import Doc, Out, rule
from harness.cda.xpath import HL7, child, children, local, q, tag


@dataclass(frozen=True)
class Problem:
    kind: str  # "unknown", "order" or "cardinality"
    element: etree._Element
    fr: str
    en: str


@dataclass(frozen=True)
class Sequence:
    """A content model ([name, min, max] in schema order) compiled once per pack: positions and bounds by Clark tag."""

    position: dict[str, int]  # Clark tag → index in the schema order
    names: tuple[str, ...]
    highs: tuple[str, ...]  # max as written ("*" = unbounded)
    most: dict[str, int]  # Clark tag → max, for the bounded elements
    required: tuple[tuple[int, str, int], ...]  # (index, Clark tag, min) of the elements with min > 0
    # Sequences of children's Clark tags known to break nothing: whether a sequence has problems depends on its tags
    # alone, and most elements repeat a few shapes (every author, every section alike), so each is checked once.
    clean: set[tuple[str, ...]] = field(default_factory=set, compare=False)

    def problems(self, element: etree._Element, tags: tuple[str, ...] | None = None) -> list[Problem]:
        """The problems of the CDA-namespace children of `element` (`tags`: their Clark tags, when the caller knows them)."""
        if tags is None:
            tags = tuple(node.tag for node in element.iterchildren(_HL7_CHILDREN))  # type: ignore[misc]  # elements: str tags
        if tags in self.clean:
            return []
        position, names = self.position, self.names
        problems: list[Problem] = []
        counts: dict[str, list[etree._Element]] = {}
        furthest = -1
        parent = local(element)
        for node in element.iterchildren(_HL7_CHILDREN):  # comments, processing instructions and extension namespaces left out
            tag = str(node.tag)
            index = position.get(tag)
            if index is None:
                name = local(node)
                problems.append(Problem("unknown", node, f"élément {name} inconnu dans {parent} (CDA R2)",
                                        f"unknown element {name} in {parent} (CDA R2)"))
                continue
            if index < furthest:
                name, after = names[index], names[furthest]
                problems.append(Problem("order", node, f"{name} doit précéder {after} dans {parent}",
                                        f"{name} must come before {after} in {parent}"))
            elif index > furthest:
                furthest = index
            found = counts.get(tag)
            if found is None:
                counts[tag] = [node]
            else:
                found.append(node)
        # Cardinalities, reported in the order of the content model: too few (required ones), then too many (those present).
        broken: list[tuple[int, int, Problem]] = []
        for index, clark, low in self.required:
            if len(counts.get(clark, _NONE)) < low:
                name, high = names[index], self.highs[index]
                broken.append((index, 0, Problem("cardinality", element, f"{parent} : {name} obligatoire ({low}..{high})",
                                                 f"{parent}: {name} is required ({low}..{high})")))
        for clark, found in counts.items():
            most = self.most.get(clark)
            if most is not None and len(found) > most:
                index = position[clark]
                name, high = names[index], self.highs[index]
                broken.append((index, 1, Problem("cardinality", found[most], f"{parent} : au plus {high} {name}, {len(found)} trouvés",
                                                 f"{parent}: at most {high} {name}, {len(found)} found")))
        problems.extend(problem for _, _, problem in sorted(broken, key=lambda item: item[:2]))
        if not problems:
            if len(self.clean) > 4096:  # documents of ever new shapes must not grow it without bound
                self.clean.clear()
            self.clean.add(tags)
        return problems


_SEQUENCES: dict[int, tuple[list[list[Any]], Sequence]] = {}  # by id of the spec, which the entry keeps alive


def compile_sequence(spec: list[list[Any]]) -> Sequence:
    hit = _SEQUENCES.get(id(spec))
    if hit is None:
        if len(_SEQUENCES) > 1024:
            _SEQUENCES.clear()
        tags = [f"{_HL7_PREFIX}{name}" for name, _, _ in spec]
        compiled = Sequence({clark: index for index, clark in enumerate(tags)}, tuple(str(name) for name, _, _ in spec),
                            tuple(str(high) for _, _, high in spec),
                            {clark: int(high) for clark, (_, _, high) in zip(tags, spec, strict=True) if high != "*"},
                            tuple((index, clark, int(low)) for index, (clark, (_, low, _)) in enumerate(zip(tags, spec, strict=True))
                                  if int(low) > 0))
        hit = _SEQUENCES[id(spec)] = (spec, compiled)
    return hit[1]


def sequence_problems(element: etree._Element, spec: list[list[Any]], tags: tuple[str, ...] | None = None) -> list[Problem]:
    """Check the CDA-namespace children of `element` against `spec` ([name, min, max] in schema order);
    `tags`: their Clark tags, when the caller knows them (the header index does)."""
    return compile_sequence(spec).problems(element, tags)


_HL7_PREFIX = f"{{{HL7}}}"
_HL7_CHILDREN = f"{{{HL7}}}*"
_NONE: list[etree._Element] = []


def _report(out: Out, problems: list[Problem], kinds: AbstractSet[str]) -> None:
    for problem in problems:
        if problem.kind in kinds:
            out.fail(problem.element, problem.fr, problem.en)


def _header_problems(doc: Doc, data: CdaData) -> list[Problem]:
    """The ClinicalDocument's own content model, checked once for the three rules that report parts of it."""
    found: list[Problem] | None = doc.cache.get("header_problems")
    if found is None:
        found = doc.cache["header_problems"] = sequence_problems(doc.root, data.const("header_elements"))
    return found


@rule("CDA-HEADER-ELEMENTS")
def header_elements(doc: Doc, data: CdaData, out: Out) -> None:
    _report(out, _header_problems(doc, data), {"unknown"})


@rule("CDA-HEADER-ORDER")
def header_order(doc: Doc, data: CdaData, out: Out) -> None:
    _report(out, _header_problems(doc, data), {"order"})


@rule("CDA-HEADER-CARDINALITY")
def header_cardinality(doc: Doc, data: CdaData, out: Out) -> None:
    _report(out, _header_problems(doc, data), {"cardinality"})


_INFRASTRUCTURE = [["realmCode", 0, "*"], ["typeId", 0, 1], ["templateId", 0, "*"]]


@rule("CDA-HEADER-PARTICIPATIONS")
def header_participations(doc: Doc, data: CdaData, out: Out) -> None:
    sequences = _participation_sequences(data)
    header = doc.header
    for path, elements in header.paths().items():
        sequence = sequences.get(path)
        if sequence is not None:
            for element in elements:
                tags = header.child_tags(element)
                if tags not in sequence.clean:  # the common case, decided here without a call
                    _report(out, sequence.problems(element, tags), _ALL_KINDS)


_ALL_KINDS = frozenset({"unknown", "order", "cardinality"})
# keyed by the identity of the pack's path table, which the value keeps alive (so the id cannot be reused)
_SPECS: dict[int, tuple[dict[str, str], dict[str, Sequence]]] = {}


def _participation_sequences(data: CdaData) -> dict[str, Sequence]:
    """Per header path, its class's full element list, compiled (once per pack data)."""
    classes, paths = data.const("header_classes"), data.const("header_paths")
    key = id(paths)
    if key not in _SPECS:
        specs = {path: _INFRASTRUCTURE + classes[name] for path, name in paths.items()}
        _SPECS[key] = (paths, {path: compile_sequence(spec) for path, spec in specs.items()})
    return _SPECS[key][1]


@rule("CDA-BODY")
def body(doc: Doc, data: CdaData, out: Out) -> None:
    for component in children(doc.root, "component"):
        bodies = [n for n in component if isinstance(n.tag, str) and local(n) in ("structuredBody", "nonXMLBody")]
        if len(bodies) != 1:
            out.fail(component, f"component : exactement un structuredBody ou un nonXMLBody attendu, {len(bodies)} trouvé(s)",
                     f"component: exactly one structuredBody or nonXMLBody expected, {len(bodies)} found")


_STRUCTURED_BODY = tag("structuredBody")


@rule("CDA-STRUCTUREDBODY", when=lambda doc: doc.is_n3)
def structured_body(doc: Doc, data: CdaData, out: Out) -> None:
    body_model = compile_sequence(data.const("structured_body_elements"))
    component_model = compile_sequence(data.const("section_component_elements"))
    for element in doc.structured_bodies():
        _report(out, body_model.problems(element), _ALL_KINDS)
        for component in element.iterchildren(_COMPONENT):
            _report(out, component_model.problems(component), _ALL_KINDS)


@rule("CDA-SECTION", when=lambda doc: doc.is_n3)
def sections(doc: Doc, data: CdaData, out: Out) -> None:
    section_model = compile_sequence(data.const("section_elements"))
    component_model = compile_sequence(data.const("section_component_elements"))
    everywhere = doc.everywhere(_SECTION)  # one scan shared with the other rules asking for elements anywhere
    for body_element in doc.structured_bodies():
        for section in (s for s in everywhere if _inside(s, body_element)):
            _report(out, section_model.problems(section), _ALL_KINDS)
            for component in section.iterchildren(_COMPONENT):
                _report(out, component_model.problems(component), _ALL_KINDS)


def _inside(element: etree._Element, body_element: etree._Element) -> bool:
    """`element` is a descendant of the structuredBody `body_element`."""
    return body_element in element.iterancestors(_STRUCTURED_BODY)  # identity of elements, compared in C


@rule("CDA-ENTRY", when=lambda doc: doc.is_n3)
def entries(doc: Doc, data: CdaData, out: Out) -> None:
    """Every entry of a section of the structuredBody holds exactly one clinical statement (infrastructure aside)."""
    statements = _statements(data.const("clinical_statements"))
    bodies = doc.structured_bodies()
    for entry in doc.everywhere(_ENTRY):  # the scan shared with CDA-SECTION and the value-set rules
        parent = entry.getparent()
        if parent is None or parent.tag != _SECTION or not any(_inside(entry, b) for b in bodies):
            continue
        held = [held_tag for n in entry.iterchildren(_HL7_CHILDREN) if (held_tag := n.tag) not in _INFRASTRUCTURE_TAGS]
        if len(held) == 1 and held[0] in statements:
            continue
        names = ", ".join(local(n) for n in entry
                          if isinstance(n.tag, str) and local(n) not in ("realmCode", "typeId", "templateId")) or "-"
        out.fail(entry, f"entry : exactement une déclaration clinique attendue ({names})",
                 f"entry: exactly one clinical statement expected ({names})")


_SECTION, _ENTRY, _COMPONENT = tag("section"), tag("entry"), tag("component")
_STATEMENTS: dict[int, tuple[list[str], frozenset[str]]] = {}  # by id of the pack's list, which the entry keeps alive


def _statements(names: list[str]) -> frozenset[str]:
    """The Clark tags of the clinical statements (once per pack data)."""
    hit = _STATEMENTS.get(id(names))
    if hit is None:
        hit = _STATEMENTS[id(names)] = (names, frozenset(tag(name) for name in names))
    return hit[1]
_INFRASTRUCTURE_TAGS = frozenset(tag(name) for name in ("realmCode", "typeId", "templateId"))


@rule("CDA-NONXMLBODY", when=lambda doc: doc.is_n1)
def non_xml_body(doc: Doc, data: CdaData, out: Out) -> None:
    for element in q(doc.root, "cda:component/cda:nonXMLBody"):
        _report(out, sequence_problems(element, data.const("non_xml_body_elements")), {"unknown", "order", "cardinality"})
        text = child(element, "text")
        if text is not None and len(text) and any(isinstance(n.tag, str) for n in text):
            out.fail(text, "nonXMLBody/text ne contient pas d'éléments XML", "nonXMLBody/text holds no XML elements")
