"""XPath helpers shared by the CDA rules: namespaces, compiled-once expressions, readable locations."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from lxml import etree

HL7 = "urn:hl7-org:v3"
XSL = "http://www.w3.org/1999/XSL/Transform"
NS = {
    "cda": HL7,
    "xsl": XSL,
    "lab": "urn:oid:1.3.6.1.4.1.19376.1.3.2",
    "sdtc": "urn:hl7-org:sdtc",
    "pharm": "urn:ihe:pharm:medication",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
_PREFIX = {uri: prefix for prefix, uri in NS.items() if prefix != "cda"}


@cache
def xp(expression: str) -> etree.XPath:
    """The compiled XPath for `expression` (prefix `cda:` for the CDA namespace); compiled once per process."""
    return etree.XPath(expression, namespaces=NS)


def q(element: etree._Element, expression: str) -> list[Any]:
    """Evaluate a cached XPath on `element`."""
    found: list[Any] = xp(expression)(element)
    return found


@cache
def tag(name: str) -> str:
    """The Clark tag of a CDA element ("id" → "{urn:hl7-org:v3}id")."""
    return f"{{{HL7}}}{name}"


def children(element: etree._Element, name: str) -> list[etree._Element]:
    return list(element.iterchildren(tag(name)))


def child(element: etree._Element, name: str) -> etree._Element | None:
    return next(element.iterchildren(tag(name)), None)


_LOCAL_NAMES: dict[str, str] = {}


def local_name(clark_tag: str) -> str:
    """The local name of a Clark tag ("{urn:hl7-org:v3}id" → "id"), memoised: rules ask it hundreds of times per document."""
    name = _LOCAL_NAMES.get(clark_tag)
    if name is None:
        if len(_LOCAL_NAMES) > 4096:  # documents with ever new names must not grow it without bound
            _LOCAL_NAMES.clear()
        name = _LOCAL_NAMES[clark_tag] = etree.QName(clark_tag).localname
    return name


def local(element: etree._Element) -> str:
    tag = element.tag
    return local_name(tag) if isinstance(tag, str) else etree.QName(element).localname


def has_nf(element: etree._Element) -> bool:
    return element.get("nullFlavor") is not None


def location(element: etree._Element, attribute: str | None = None, prefixes: Mapping[str, str] = _PREFIX) -> str:
    """An XPath naming `element` unambiguously: CDA elements unprefixed, others with their usual prefix
    (`prefixes`: namespace URI → prefix; another vocabulary, e.g. SOAP/ebRIM, gives its own).

    Example: /ClinicalDocument/recordTarget[1]/patientRole[1]/id[2]/@extension
    """
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        qname = etree.QName(node)
        prefix = prefixes.get(qname.namespace or "")
        name = f"{prefix}:{qname.localname}" if prefix else qname.localname
        parent = node.getparent()
        if parent is None:
            steps.append(name)
        else:
            index = 1 + sum(1 for _ in node.itersiblings(str(node.tag), preceding=True))
            steps.append(f"{name}[{index}]")
        node = parent
    path = "/" + "/".join(reversed(steps))
    return f"{path}/@{attribute}" if attribute else path
