"""Files a merged schematron reads at run time by a literal path (value sets, terminologies).

`doc('include/voc-….xml')` and `let name="jdv" value="'../jeuxDeValeurs/JDV_….xml'"` (then
`document($jdv)`) are checked before any document is validated, so a missing file is reported
once as a kit defect, and a missing ART-DECOR value-set file can be substituted (valuesets.py).
"""

from __future__ import annotations

import re

from lxml import etree

from harness.cdakit.loader import SCH

_CALL = re.compile(r"(?<![\w:$.\-])(?:doc|document)\s*\(\s*(?:'([^']+)'|\"([^\"]+)\")\s*\)")
_LITERAL_FILE = re.compile(r"^\s*(?:'([^']+\.(?:xml|rdf))'|\"([^\"]+\.(?:xml|rdf))\")\s*$", re.IGNORECASE)


def literal_references(tree: etree._Element) -> list[str]:
    """Relative or absolute hrefs, in document order, without duplicates."""
    found: dict[str, None] = {}
    for element in tree.iter(f"{{{SCH}}}*"):
        for name in ("test", "context", "select", "value"):
            text = element.get(name)
            if not text:
                continue
            for match in _CALL.finditer(text):
                found.setdefault(match.group(1) or match.group(2))
        if element.tag == f"{{{SCH}}}let":
            literal = _LITERAL_FILE.match(element.get("value") or "")
            if literal:
                found.setdefault(literal.group(1) or literal.group(2))
    return [href for href in found if "://" not in href and not href.startswith("/")]
