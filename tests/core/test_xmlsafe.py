"""Safe parsing of untrusted XML (harness/core/xmlsafe.py): what is refused, with which reason, and what is kept."""

from __future__ import annotations

import pytest
from lxml import etree

from harness.core import xmlsafe
from harness.core.xmlsafe import UnsafeOrInvalidXml, parse_xml


@pytest.fixture(autouse=True)
def fresh_parser() -> None:
    """Each test builds the thread's parser anew: its options are what these tests prove, not a cached parser's."""
    vars(xmlsafe._PARSERS).clear()


def _refused(data: bytes, **options: int) -> UnsafeOrInvalidXml:
    with pytest.raises(UnsafeOrInvalidXml) as caught:
        parse_xml(data, **options)
    assert caught.value.fr and caught.value.en and caught.value.fr != caught.value.en  # said in French and English
    return caught.value


def test_well_formed_xml_is_parsed_with_its_comments_and_line_numbers() -> None:
    tree = parse_xml(b'<?xml version="1.0"?>\n<a>\n  <!-- note -->\n  <b>texte</b>\n</a>')
    root = tree.getroot()
    assert root.tag == "a" and root.findtext("b") == "texte"
    assert [c.text for c in root.iter() if not isinstance(c.tag, str)] == [" note "]  # comments are kept
    assert root.find("b").sourceline == 4


def test_a_byte_order_mark_and_leading_blanks_are_accepted() -> None:
    assert parse_xml(b"\xef\xbb\xbf \r\n\t<a/>").getroot().tag == "a"


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty file"),
    (b" \n\t ", "empty file"),
    (b"MSH|^~\\&|not xml", "not XML"),
    (b"X<a/>", "not XML"),
    (b"<!DOCTYPE a><a/>", "DOCTYPE declaration refused (DTDs and entities are forbidden)"),  # refused before parsing, even without entities
    (b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', "DOCTYPE declaration refused (DTDs and entities are forbidden)"),
    (b'<a><!ENTITY e "x"></a>', "malformed XML: StartTag: invalid element name"),  # no DTD there: not even XML
    # a DOCTYPE hidden after 64 KiB of comments: the whole prolog is walked, whatever its length
    (b"<!--" + b"x" * 70_000 + b"-->\n<!DOCTYPE a [<!ENTITY e SYSTEM 'file:///etc/hostname'>]><a>&e;</a>",
     "DOCTYPE declaration refused (DTDs and entities are forbidden)"),
    (b'<?xml version="1.0" encoding="no-such-encoding"?><a/>',
     "encoding no-such-encoding refused (accepted: UTF-8, UTF-16 with a BOM, ISO-8859-1/15, US-ASCII, windows-1252)"),
    (b"<a>" + b"<b>" * 300 + b"</b>" * 300 + b"</a>", "Excessive depth"),  # no huge-tree mode
])
def test_refused_input_says_why(data: bytes, reason: str) -> None:
    assert reason in _refused(data).en


def test_malformed_xml_gives_the_line_where_the_parser_stopped() -> None:
    error = _refused(b"<a>\n<b>\n</a>")
    assert error.line == 3 and "malformed XML" in error.en and "XML mal formé" in error.fr


def test_the_size_limit_is_inclusive() -> None:
    assert parse_xml(b"<a/>", max_bytes=4).getroot().tag == "a"
    assert "4 bytes, over the limit of 3" in _refused(b"<a/>", max_bytes=3).en


# -- the prolog walk: a DOCTYPE is refused before libxml2 sees the document, wherever it stands in the prolog
@pytest.mark.parametrize("data", [
    b"<!DOCTYPE a><a/>",
    b'<?xml version="1.0"?>\n<!DOCTYPE a><a/>',
    b"<!-- c --><!DOCTYPE a><a/>",
    b"<??><!DOCTYPE a><a/>",  # the shortest processing instruction: its end is searched right after `<?`
    b"<!----><!DOCTYPE a><a/>",  # the shortest comment: its end is searched right after `<!--`
    b"<?a?><!DOCTYPE a [<?b?>]><a/>",  # the first `?>` ends the first instruction, not the last one
    b"<!--a--><!DOCTYPE a [<!--b-->]><a/>",
    b"<?a?><?b?><!DOCTYPE a><a/>",  # each end is searched after its own start (from the start of the text, the walk would go round forever)
    b"<!--a--><!--b--><!DOCTYPE a><a/>",
])
def test_the_prolog_walk_refuses_a_doctype(data: bytes) -> None:
    with pytest.raises(UnsafeOrInvalidXml) as caught:
        xmlsafe._check_prolog(data)
    assert caught.value.en == "DOCTYPE declaration refused (DTDs and entities are forbidden)"


@pytest.mark.parametrize("data", [
    b"<!-- c --><a/>",
    b"<?a<!?><a/>",  # `<!` inside an instruction is its text
    b"<!-- <!DOCTYPE a> --><a><!DOCTYPE b></a>",  # in a comment, or after the root element: not the prolog's
    b"<?xml version='1.0'?><!-- unterminated",  # libxml2 reports the malformation
])
def test_the_prolog_walk_lets_through_what_is_no_doctype(data: bytes) -> None:
    assert xmlsafe._check_prolog(data) is None


def test_the_element_limit_is_inclusive(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start tags are counted (every `<` but the end tags'), before parsing."""
    monkeypatch.setattr(xmlsafe, "MAX_ELEMENTS", 3)
    assert [e.tag for e in parse_xml(b"<a><b/><c></c></a>").getroot().iter()] == ["a", "b", "c"]
    assert _refused(b"<a><b/><c></c><d/></a>").en == "more than 3 elements (4 tags): over the limit"


def test_a_document_too_short_to_hold_more_nodes_than_the_limit_is_not_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every node takes at least 4 bytes (`<a/>`): a document of at most 4 x MAX_ELEMENTS bytes is parsed without the
    count (which reads every byte), and `<` inside its comments does not make it refused; one byte more and it is."""
    monkeypatch.setattr(xmlsafe, "MAX_ELEMENTS", 5)
    data = b"<a><!--<<<<<--></a>"  # 19 bytes: 7 `<` but end tags', 2 nodes
    assert len(data) <= xmlsafe.MIN_NODE_BYTES * 5
    assert [n.tag for n in parse_xml(data).getroot().iter()] == ["a", etree.Comment]
    assert [n.tag for n in parse_xml(data + b" ").getroot().iter()] == ["a", etree.Comment]  # 20 bytes: not counted
    assert _refused(data + b"  ").en == "more than 5 elements (7 tags): over the limit"  # 21 bytes: counted
