"""Plain child-step paths (harness.cda.steps) select exactly what the XPath they replace selects, in the same order;
expressions outside the subset stay XPaths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree

from harness.cda.engine import Doc
from harness.cda.parse import UnsafeOrInvalidXml, parse
from harness.cda.steps import child_path
from harness.cda.xpath import NS
from harness.config.packs import PackRegistry

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
DOCUMENT = b"""<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:lab="urn:oid:1.3.6.1.4.1.19376.1.3.2">
  <recordTarget nullFlavor="NI"><patientRole><patient><name/></patient><patient/></patientRole></recordTarget>
  <recordTarget><patientRole><!-- c --><id root="1" extension=" "/><id nullFlavor="UNK"/><addr nullFlavor="NI"/>
    <lab:x><id root="9"/><lab:y/></lab:x>
    <patient><name><family qualifier="BR">A</family><given>B</given></name><birthTime nullFlavor="UNK"/></patient>
    <patient><name nullFlavor="NI"/></patient></patientRole></recordTarget>
  <documentationOf><serviceEvent><code code="x"/><effectiveTime><low/><high/></effectiveTime>
    <lab:code/><performer typeCode="  "/><performer typeCode="PRF"/></serviceEvent></documentationOf>
  <documentationOf><serviceEvent><performer/></serviceEvent></documentationOf>
  <component><structuredBody><component><section><code/></section></component></structuredBody></component>
</ClinicalDocument>"""
SUBSET = [
    ".", "cda:recordTarget", "cda:recordTarget[2]", "cda:recordTarget[not(@nullFlavor)]/cda:patientRole/cda:patient[1]",
    "cda:recordTarget/cda:patientRole/cda:patient[2]", "cda:recordTarget/cda:patientRole/*",
    "cda:recordTarget/cda:patientRole/*[self::cda:addr or self::cda:id][@nullFlavor]",
    "cda:recordTarget/cda:patientRole/*[@nullFlavor][1]", "cda:recordTarget/cda:patientRole/cda:id[@root='1']",
    "cda:recordTarget/cda:patientRole/cda:id[normalize-space(@extension)]", "cda:recordTarget/cda:patientRole[cda:patient/cda:name]",
    "cda:recordTarget/cda:patientRole/cda:patient[cda:name[not(@nullFlavor)]]", "(cda:documentationOf/cda:serviceEvent)[1]",
    "(cda:documentationOf/cda:serviceEvent/cda:performer)[2]", "cda:documentationOf/cda:serviceEvent/cda:performer[@typeCode][2]",
    "cda:documentationOf/cda:serviceEvent/cda:effectiveTime/cda:low | cda:documentationOf/cda:serviceEvent/cda:effectiveTime/cda:high",
    "cda:documentationOf/cda:serviceEvent/cda:code[not(@nullFlavor) or @code]", "cda:component/cda:structuredBody/cda:component",
    "cda:recordTarget/cda:patientRole/cda:patient/cda:name/cda:family[@qualifier='BR']",
    "cda:recordTarget/cda:patientRole[cda:id]/cda:patient", "cda:documentationOf/cda:serviceEvent/cda:performer[@typeCode]",
]
OUTSIDE = ["cda:recordTarget//cda:id", "cda:id/@root", "cda:id[last()]", "cda:id[@root and @extension]", "lab:code",
           "cda:a/cda:b | cda:c", "(cda:a)[1] | cda:b", "cda:id[0]", "cda:id[@xsi:type='CD']", "cda:code[not(self::cda:x)]",
           "count(cda:id)", "cda:id[@root=\"1\"]", "cda:id[²]"]


def _documents() -> list[Doc]:
    sources = [DOCUMENT] + [p.read_bytes() for p in sorted(FIXTURES.rglob("*.xml"))]
    examples = os.environ.get("ENRS_ANS_EXAMPLES")
    if examples:
        sources += [p.read_bytes() for p in sorted(Path(examples).rglob("*.xml"))]
    documents = []
    for source in sources:
        if b"urn:hl7-org:v3" not in source:
            continue
        try:
            root = parse(source, 10**8).document
        except UnsafeOrInvalidXml:
            continue
        if root is not None:
            documents.append(Doc(root=root))
    return documents


def _same(expression: str, docs: list[Doc]) -> None:
    compiled = child_path(expression)
    assert compiled is not None, expression
    xpath = etree.XPath(expression, namespaces=NS)
    for doc in docs:
        assert compiled.select_from_root(doc) == xpath(doc.root), expression
        for element in _header_elements(doc.root):
            assert compiled.select(element) == xpath(element), expression


def _header_elements(root: etree._Element) -> list[etree._Element]:
    """The elements the checks' paths start from: the ClinicalDocument and its header (the body, two thirds of a
    document, is left out to keep the test fast)."""
    return [root, *(e for top in root if top.tag != "{urn:hl7-org:v3}component" for e in top.iter("{urn:hl7-org:v3}*"))]


@pytest.mark.parametrize("expression", SUBSET)
def test_subset_selects_as_xpath(expression: str) -> None:
    _same(expression, [Doc(root=etree.fromstring(DOCUMENT))])


def test_subset_positions_count_per_parent_after_the_predicates_before_them() -> None:
    root = etree.fromstring(DOCUMENT)
    compiled = child_path("cda:documentationOf/cda:serviceEvent/cda:performer[@typeCode][2]")
    assert compiled is not None
    assert [p.get("typeCode") for p in compiled.select(root)] == ["PRF"]
    whole = child_path("(cda:documentationOf/cda:serviceEvent/cda:performer)[3]")
    assert whole is not None and whole.select(root) == [root[3][0][0]]


@pytest.mark.parametrize("expression", OUTSIDE)
def test_outside_the_subset_stays_an_xpath(expression: str) -> None:
    assert child_path(expression) is None


def test_every_pack_path_in_the_subset_selects_as_its_xpath_on_every_fixture() -> None:
    """The declarative checks' paths compiled to child steps select, from every element of every fixture (and of the
    agency's examples with ENRS_ANS_EXAMPLES), what their XPath selects."""
    expressions: set[str] = set()
    for pack in PackRegistry.load().packs.values():
        for requirement in pack.requirements:
            for raw in requirement.checks.get("cda", ()):
                expressions.add(raw["context"])
                expressions.update(raw.get("require", ()), raw.get("present", ()), raw.get("equal", ()))
                if "cardinality" in raw:
                    expressions.add(raw["cardinality"]["path"])
    plain = sorted(e for e in expressions if child_path(e) is not None)
    assert len(plain) > 0.9 * len(expressions)  # the point of the subset: nearly all the packs' paths
    docs = _documents()
    for expression in plain:
        _same(expression, docs)
