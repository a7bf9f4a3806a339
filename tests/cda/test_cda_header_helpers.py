"""The header rules' lookups (harness.cda.common: header_children, header_below, header_suspects, header_union,
compiled) answer exactly what the lxml calls and XPaths they replace select, in document order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from harness.cda.common import compiled, header_below, header_child, header_children, header_suspects, header_union
from harness.cda.engine import Doc
from harness.cda.parse import UnsafeOrInvalidXml, parse
from harness.cda.xpath import child, children, local_name, q, tag

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
# several elements at one path (two authors, two patients), a participant before an author, other namespaces,
# comments, and elements of one name at several depths
MIXED = b"""<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:lab="urn:oid:1.3.6.1.4.1.19376.1.3.2">
  <id root="1.2.3"/><templateId root="9"/><effectiveTime value="2025"/>
  <recordTarget><patientRole><id root="1.2.250.1.213.1.4.8"/><patient><name><family qualifier="BR">A</family><given>B</given>
    <given qualifier="BR">B</given></name><birthTime value="1990"/><birthplace><place><addr><county>75056</county></addr></place>
    </birthplace></patient></patientRole></recordTarget>
  <recordTarget><patientRole><patient><name><family>C</family></name><!-- c --><lab:name><family>D</family></lab:name></patient>
    </patientRole></recordTarget>
  <participant typeCode="INF"><functionCode code="P1"/><associatedEntity><id root="5"/></associatedEntity></participant>
  <author><functionCode code="A1"/><functionCode code="A2"/><time value="2025"/><assignedAuthor><id root="6"/>
    <addr><streetAddressLine>1 rue</streetAddressLine><!-- c --><lab:city>X</lab:city><city>Y</city></addr>
    <assignedPerson><name><prefix>DR</prefix><family>E</family><suffix>S</suffix></name></assignedPerson></assignedAuthor></author>
  <author><time value="2026"/><assignedAuthor><id root="7"/><id nullFlavor="UNK"/><assignedPerson><name nullFlavor="MSK"/>
    </assignedPerson></assignedAuthor></author>
  <participant typeCode="REF"><functionCode code="P2"/></participant>
  <lab:extension><id root="8"/><name><family>F</family></name></lab:extension>
  <component><structuredBody><component><section><id root="10"/><author><functionCode code="B"/></author></section>
  </component></structuredBody></component>
</ClinicalDocument>"""


def _roots() -> list[etree._Element]:
    roots = [etree.fromstring(MIXED)]
    for path in sorted(FIXTURES.rglob("*.xml")):
        data = path.read_bytes()
        if b"urn:hl7-org:v3" not in data:
            continue
        try:
            document = parse(data, 10**8).document
        except UnsafeOrInvalidXml:  # some nonconforming fixtures are unreadable XML: no header to look at
            continue
        if document is not None:
            roots.append(document)
    return roots


def _header_elements(doc: Doc) -> list[etree._Element]:
    """Every element under the ClinicalDocument's header children, any namespace (the children's children and below)."""
    return [element for top in doc.header.tops for element in top.iterdescendants("{*}*")]


@pytest.mark.parametrize("root", _roots())
def test_children_and_paths_below_answer_as_lxml(root: etree._Element) -> None:
    doc = Doc(root=root)
    for element in [*doc.header.tops, *_header_elements(doc)]:
        names = {local_name(str(c.tag)) for c in element.iterchildren("{*}*")} | {"nothing"}
        for name in names:
            assert header_children(doc, element, name) == children(element, name), (element.tag, name)
            assert header_child(doc, element, name) is child(element, name)
            for grandchild in {local_name(str(c.tag)) for c in element.iterchildren("{*}*")}:
                xpath = f"cda:{name}/cda:{grandchild}"
                assert header_below(doc, element, f"{name}/{grandchild}") == q(element, xpath), (element.tag, xpath)
    for path, elements in doc.header.paths().items():  # with the element's path: the index answers when it is alone there
        for element in elements:
            for below in ("name/family", "patientRole/patient", "assignedAuthor/id", "time", "nothing/else"):
                expected = q(element, "/".join(f"cda:{step}" for step in below.split("/")))
                assert header_below(doc, element, below, path) == expected, (path, below)


@pytest.mark.parametrize("root", _roots())
def test_suspects_are_the_named_elements_that_fail_their_test_in_document_order(root: etree._Element) -> None:
    doc = Doc(root=root)
    tests: dict[str, Callable[[etree._Element], bool]] = {
        tag("id"): lambda e: e.get("root") != "1.2.250.1.213.1.4.8", tag("effectiveTime"): lambda e: True,
        tag("family"): lambda e: e.get("qualifier") is None, tag("time"): lambda e: False}
    for tops in (False, True):
        expected = [e for e in doc.header.named(*tests, tops=tops) if tests[str(e.tag)](e)]
        assert header_suspects(doc, tests, tops=tops) == expected
    one = {tag("name"): lambda e: e.get("nullFlavor") is not None}  # none or one suspect: no merge of the lists needed
    assert header_suspects(doc, one) == [e for e in doc.header.named(tag("name")) if e.get("nullFlavor") is not None]


@pytest.mark.parametrize("root", _roots())
def test_union_of_paths_is_the_xpath_union(root: etree._Element) -> None:
    doc = Doc(root=root)
    for paths in (("author/functionCode", "participant/functionCode"), ("author/time", "author/assignedAuthor/id"),
                  ("recordTarget/patientRole/id", "nothing/here"), ("participant/functionCode",)):
        assert header_union(doc, *paths) == q(root, " | ".join("/".join(f"cda:{s}" for s in p.split("/")) for p in paths)), paths


def test_the_mixed_document_exercises_what_the_shortcuts_skip() -> None:
    """MIXED holds what the helpers must get right: a participant before an author (union order), two patients
    (no single-element shortcut), names under another namespace (not CDA children)."""
    doc = Doc(root=etree.fromstring(MIXED))
    assert [e.get("code") for e in header_union(doc, "author/functionCode", "participant/functionCode")] == ["P1", "A1", "A2", "P2"]
    first, second = doc.header.at("recordTarget/patientRole/patient")
    assert [e.text for e in header_below(doc, second, "name/family", "recordTarget/patientRole/patient")] == ["C"]
    assert [e.text for e in header_below(doc, first, "name/family", "recordTarget/patientRole/patient")] == ["A"]
    with pytest.raises(ValueError):  # the ClinicalDocument's children are the index's paths, not grouped children
        header_children(doc, doc.root, "author")
    extension = doc.header.tops[-1]
    assert [e.text for e in header_below(doc, extension, "name/family")] == ["F"]  # under a top of another namespace
    ids = {tag("id"): lambda e: e.get("root") is None or len(e.get("root", "")) == 1}  # the participant's comes first
    assert [e.get("root") for e in header_suspects(doc, ids, tops=True)] == ["5", "6", "7", None, "8"]
    assert [e.get("root") for e in header_suspects(doc, {tag("id"): lambda e: e.get("root") == "1.2.3"}, tops=True)] == ["1.2.3"]
    assert header_suspects(doc, {tag("id"): lambda e: e.get("root") == "1.2.3"}) == []  # a top: only with tops


class _Data:
    def __init__(self, tables: dict[str, Any]) -> None:
        self.tables = tables

    def const(self, name: str, default: Any = None) -> Any:
        return self.tables.get(name, default)


def test_compiled_once_per_table() -> None:
    built: list[dict[str, int]] = []

    def build(table: dict[str, int]) -> list[str]:
        built.append(table)
        return sorted(table)

    first = _Data({"limits": {"b": 1, "a": 2}})
    assert compiled(first, "limits", build) == ["a", "b"]  # type: ignore[arg-type]
    assert compiled(first, "limits", build) == ["a", "b"]  # type: ignore[arg-type]
    assert len(built) == 1  # the same table: built once
    second = _Data({"limits": {"c": 1}})  # another pack's table: built for it, the first one's answer unchanged
    assert compiled(second, "limits", build) == ["c"]  # type: ignore[arg-type]
    assert compiled(first, "limits", build) == ["a", "b"]  # type: ignore[arg-type]
    assert len(built) == 2
