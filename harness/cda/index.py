"""One walk of a CDA header, shared by every rule: its elements by tag and by path.

The header is every child of the ClinicalDocument but the body (`component`), with all it holds.
Many rules ask the same questions of it ("every telecom of the header", "every
author/assignedAuthor"); the index answers them from one pass over the tree instead of one scan
or one XPath per rule. Paths are the CDA-namespace local names from the ClinicalDocument down,
joined by "/" ("author/assignedAuthor/assignedPerson"), as XPath `cda:author/cda:assignedAuthor/…`
would select them; an element under an element of another namespace has no path.
"""

from __future__ import annotations

from lxml import etree

from harness.cda.xpath import HL7, local_name

_CDA = f"{{{HL7}}}"
_BODY = f"{_CDA}component"
_NO_ELEMENTS: list[etree._Element] = []


class HeaderIndex:
    """The header of one document, indexed; every list is in document order."""

    def __init__(self, root: etree._Element) -> None:
        self.elements: list[etree._Element] = []  # every header element, the ClinicalDocument's own children included
        self._by_tag: dict[str, list[int]] = {}  # Clark tag → positions in `elements`
        self._by_path: dict[str, list[etree._Element]] = {}
        self._tops: set[int] = set()  # positions of the ClinicalDocument's own children
        elements, by_tag, by_path = self.elements, self._by_tag, self._by_path
        path_of: dict[etree._Element | None, str] = {}  # a CDA-namespace chain's path, by element (while walking)
        for top in root.iterchildren("{*}*"):
            if top.tag == _BODY:
                continue
            self._tops.add(len(elements))
            for element in top.iter("{*}*"):  # document order, in C
                tag = str(element.tag)  # an element's tag ("{*}*" leaves out comments and PIs)
                by_tag.setdefault(tag, []).append(len(elements))
                elements.append(element)
                if not tag.startswith(_CDA):
                    continue
                if element is top:
                    path = local_name(tag)
                else:
                    parent = path_of.get(element.getparent())
                    if parent is None:
                        continue
                    path = f"{parent}/{local_name(tag)}"
                path_of[element] = path
                by_path.setdefault(path, []).append(element)

    def named(self, *tags: str, tops: bool = False) -> list[etree._Element]:
        """The header elements with these Clark tags, in document order; `tops`: with the ClinicalDocument's own children."""
        single = len(tags) == 1
        positions = self._by_tag.get(tags[0], []) if single else sorted(p for t in tags for p in self._by_tag.get(t, ()))
        return [self.elements[p] for p in positions if tops or p not in self._tops]

    def at(self, path: str) -> list[etree._Element]:
        """The elements at `path` ("author/assignedAuthor"), as XPath `cda:author/cda:assignedAuthor` from the ClinicalDocument."""
        return self._by_path.get(path, _NO_ELEMENTS)

    def paths(self) -> dict[str, list[etree._Element]]:
        """Every path of the header and its elements (paths in document order of their first element)."""
        return self._by_path
