"""The shared header index (harness.cda.index) answers exactly what the XPath it replaces selects, and pack
patterns matched on UTF-8 bytes (harness.cda.common.Pattern) answer as RE2 on the text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree

from harness.cda.common import header_iter, regex
from harness.cda.engine import Doc
from harness.cda.index import HeaderIndex
from harness.cda.parse import UnsafeOrInvalidXml, parse
from harness.cda.xpath import location, q, tag
from harness.core.safe_regex import compile_pattern

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
DOCUMENTS = sorted(p for p in FIXTURES.rglob("*.xml") if b"urn:hl7-org:v3" in p.read_bytes())
EXTRA = b"""<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:lab="urn:oid:1.3.6.1.4.1.19376.1.3.2">
  <author><assignedAuthor><id root="1"/><!-- a comment --><telecom value="tel:1"/></assignedAuthor></author>
  <author><assignedAuthor><telecom value="tel:2"/><lab:x><telecom value="tel:3"/><id root="2"/></lab:x></assignedAuthor></author>
  <documentationOf><serviceEvent><lab:statusCode code="completed"/><id root="3"/></serviceEvent></documentationOf>
  <component><structuredBody><component><section><author><assignedAuthor><telecom value="tel:9"/></assignedAuthor></author>
  </section></component></structuredBody></component>
  <lab:extension><telecom value="tel:4"/><id root="4"/></lab:extension>
</ClinicalDocument>"""


def _roots() -> list[etree._Element]:
    """EXTRA, the fixtures' documents and, with ENRS_ANS_EXAMPLES, the agency's examples."""
    roots = [etree.fromstring(EXTRA)]
    examples = os.environ.get("ENRS_ANS_EXAMPLES")
    for path in DOCUMENTS + (sorted(Path(examples).rglob("*.xml")) if examples else []):
        try:
            document = parse(path.read_bytes(), 10**8).document
        except UnsafeOrInvalidXml:  # nonconforming fixtures include unreadable XML: nothing to index
            continue
        if document is not None:
            roots.append(document)
    return roots


@pytest.mark.parametrize("root", _roots())
def test_index_matches_xpath(root: etree._Element) -> None:
    index = HeaderIndex(root)
    paths = index.paths()
    assert paths  # every ClinicalDocument has a header
    for path, elements in paths.items():
        assert elements == q(root, "/".join(f"cda:{step}" for step in path.split("/"))), path
        for element in elements:
            assert index.child_tags(element) == tuple(c.tag for c in element.iterchildren(tag("*"))), path
    for names in (("telecom",), ("id",), ("prefix", "suffix"), ("representedOrganization", "receivedOrganization")):
        union = " or ".join(f"self::cda:{n}" for n in names)
        assert header_iter(Doc(root=root), *names) == q(root, f"*[not(self::cda:component)]//*[{union}]")
        assert index.named(*(tag(n) for n in names), tops=True) == q(root, f"*[not(self::cda:component)]/descendant-or-self::*[{union}]")


def test_index_leaves_out_the_body_and_chains_through_other_namespaces() -> None:
    index = HeaderIndex(etree.fromstring(EXTRA))
    assert [e.get("value") for e in index.named(tag("telecom"))] == ["tel:1", "tel:2", "tel:3", "tel:4"]  # not tel:9 (body)
    assert [e.get("root") for e in index.named(tag("id"), tag("telecom"))][:3] == ["1", None, None]  # document order across tags
    assert index.at("extension") == [] and index.at("telecom") == []  # under a top of another namespace: no path
    assert [e.get("value") for e in index.at("author/assignedAuthor/telecom")] == ["tel:1", "tel:2"]  # tel:3 is under lab:x
    assert [e.get("root") for e in index.at("documentationOf/serviceEvent/id")] == ["3"]
    assert index.at("component") == [] and index.at("author/assignedAuthor/x") == []
    with pytest.raises(ValueError):
        index.named("{urn:oid:1.3.6.1.4.1.19376.1.3.2}x")  # the index holds the CDA namespace only


@pytest.mark.parametrize("pattern, text", [
    (r"^(tel|fax|mailto|http|ftp|mllp):.+$", "tel:+33 1 23"), (r"^(tel|fax|mailto|http|ftp|mllp):.+$", "tel:"),
    (r"^(tel|fax|mailto|http|ftp|mllp):.+$", "mailto:éloïse@exemple.fr"), (r"^[a-z]{2}-[A-Z]{2}$", "fr-FR"),
    (r"^[a-z]{2}-[A-Z]{2}$", "fr-fr"), (r"^.{3}$", "été"), (r"^.{3}$", "étés"),
    (r"^(?P<digits>\d{4,14})(?P<zone>[+-]\d{1,4})?$", "20250310+0100"), (r"^(?P<digits>\d{4,14})(?P<zone>[+-]\d{1,4})?$", "2025"),
    (r"^(?P<a>é+)(?P<b>x)?", "ééy"),
])
def test_pattern_on_bytes_answers_as_re2_on_text(pattern: str, text: str) -> None:
    expected, found = compile_pattern(pattern).match(text), regex(pattern).match(text)
    assert (found is None) == (expected is None)
    assert regex(pattern).matches(text) is (expected is not None)
    assert regex(pattern).matches(text) is (expected is not None)  # the second answer, remembered, is the same
    if expected is not None and found is not None:
        for group in [0, *compile_pattern(pattern).groupindex]:
            assert found.group(group) == expected.group(group)


# The scan looks only at the body when it follows the header, and asks the header index for the rest: headers holding
# a tag both as a top and deeper, comments, two bodies, a top after or between bodies (then the whole document is scanned).
LAYOUTS = [
    b"""<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:lab="urn:oid:1.3.6.1.4.1.19376.1.3.2"><!-- c --><id root="0"/>
  <author><assignedAuthor><telecom/><lab:x><author/><section/></lab:x></assignedAuthor></author><?pi x?>
  <participant><author><telecom/></author></participant><author/>
  <component><structuredBody><component><section><author/><entry/></section></component></structuredBody></component>
  <component><nonXMLBody><author/></nonXMLBody></component><!-- after --></ClinicalDocument>""",
    b"""<ClinicalDocument xmlns="urn:hl7-org:v3"><component><section/></component><author><telecom/></author>
  <component><section><author/></section></component></ClinicalDocument>""",
    b"""<ClinicalDocument xmlns="urn:hl7-org:v3"><author/><component><section/></component><component/></ClinicalDocument>""",
    b"""<ClinicalDocument xmlns="urn:hl7-org:v3"><title/></ClinicalDocument>""",
]


def test_document_scan_answers_as_iter_whatever_was_asked_before() -> None:
    """Doc.everywhere selects what root.iter selects, in document order, for one tag or several, whether the
    tags were scanned for already (asked of an earlier document) or are asked for the first time."""
    asked = [("section",), ("author", "administrativeGenderCode"), ("telecom",), ("id", "section"), ("ClinicalDocument",),
             ("author", "ClinicalDocument", "component")]
    for root in [*_roots(), *(etree.fromstring(layout) for layout in LAYOUTS)]:
        doc = Doc(root=root)
        for names in asked:
            tags = [tag(n) for n in names]
            assert doc.everywhere(*tags) == list(root.iter(*tags)), names
        for other in (("{urn:oid:1.3.6.1.4.1.19376.1.3.2}x",), ("{urn:oid:1.3.6.1.4.1.19376.1.3.2}x", tag("telecom"))):
            assert Doc(root=root).everywhere(*other) == list(root.iter(*other)), other  # another namespace: not the index's
    fresh = Doc(root=etree.fromstring(EXTRA))  # a tag never asked before: the scan is redone, earlier answers stay right
    assert [e.get("value") for e in fresh.everywhere(tag("telecom"))] == ["tel:1", "tel:2", "tel:3", "tel:9", "tel:4"]
    assert len(fresh.everywhere(tag("reference"))) == 0 and len(fresh.everywhere(tag("telecom"))) == 5


ENTRIES = b"""<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:lab="urn:oid:1.3.6.1.4.1.19376.1.3.2">
  <author><entry><observation/></entry></author>
  <component><structuredBody><component><section>
    <entry><templateId root="1"/><observation/></entry>
    <entry/>
    <entry><observation/><act/></entry>
    <entry><templateId root="1"/><lab:x/></entry>
    <entry><text/></entry>
    <component><section><entry><act/><!-- c --></entry><entry><realmCode code="FR"/></entry></section></component>
  </section><entry><act/><act/></entry></component></structuredBody></component>
</ClinicalDocument>"""


def test_entry_rule_reports_what_the_xpath_it_replaces_selects() -> None:
    """CDA-ENTRY (entries from the shared scan): the entries of sections of the structuredBody whose children,
    infrastructure aside, are not exactly one clinical statement; as the XPath it replaced, in document order."""
    from harness.cda import structure
    from harness.cda.engine import Out
    from harness.core.findings import Severity

    data = type("Data", (), {"const": staticmethod(lambda name: ["observation", "act"])})()
    root = etree.fromstring(ENTRIES)
    out = Out("CDA-ENTRY", Severity.ERROR)
    structure.entries(Doc(root=root), data, out)  # type: ignore[arg-type]
    expected = q(root, "cda:component/cda:structuredBody/descendant::cda:entry[parent::cda:section]"
                       "[count(cda:*[not(self::cda:realmCode or self::cda:typeId or self::cda:templateId)]) != 1"
                       " or count(cda:*[self::cda:observation or self::cda:act]) != 1]")
    assert len(expected) == 5  # the empty one, two statements, lab:x, text, realmCode alone
    assert [f.location for f in out.close()] == [location(e) for e in expected]
