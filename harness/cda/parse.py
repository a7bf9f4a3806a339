"""Layer 1: safe parsing, and finding the ClinicalDocument (self-presenting documents included)."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from harness.cda.xpath import HL7, XSL
from harness.core.xmlsafe import UnsafeOrInvalidXml, parse_xml

CLINICAL_DOCUMENT = f"{{{HL7}}}ClinicalDocument"
STYLESHEETS = {f"{{{XSL}}}stylesheet", f"{{{XSL}}}transform"}


@dataclass
class Parsed:
    tree: etree._ElementTree
    document: etree._Element | None  # the ClinicalDocument, None when there is none to validate
    self_presenting: bool
    problem: tuple[str, str] | None = None  # why there is no ClinicalDocument (fr, en)


def parse(data: bytes, max_bytes: int) -> Parsed:
    """Parse untrusted bytes; raise `UnsafeOrInvalidXml` when they are not safe, well-formed XML."""
    tree = parse_xml(data, max_bytes)
    root = tree.getroot()
    if root.tag == CLINICAL_DOCUMENT:
        return Parsed(tree, root, False)
    if root.tag in STYLESHEETS:
        found = list(root.iter(CLINICAL_DOCUMENT))
        if len(found) == 1:
            return Parsed(tree, found[0], True)
        return Parsed(tree, None, True, (f"document auto-présentable : {len(found)} ClinicalDocument trouvé(s), un seul attendu",
                                         f"self-presenting document: {len(found)} ClinicalDocument found, exactly one expected"))
    return Parsed(tree, None, False, (f"l'élément racine {root.tag!s} n'est pas {{urn:hl7-org:v3}}ClinicalDocument",
                                      f"the root element {root.tag!s} is not {{urn:hl7-org:v3}}ClinicalDocument"))


__all__ = ["Parsed", "parse", "UnsafeOrInvalidXml"]
