"""One walk of a CDA header, shared by every rule: its elements by path, and by tag.

The header is every child of the ClinicalDocument but the body (`component`), with all it holds.
Many rules ask the same questions of it ("every author/assignedAuthor", "every telecom of the
header"). The walk, done once per document, files every element of a CDA-namespace chain under its
path: the local names from the ClinicalDocument down, joined by "/" ("author/assignedAuthor/assignedPerson"),
as XPath `cda:author/cda:assignedAuthor/…` selects them (an element under an element of another
namespace has no path). Questions by tag are answered by lxml's tag filter in C over the header
alone, on the Python objects the walk made.
"""

from __future__ import annotations

from lxml import etree

from harness.cda.xpath import HL7, local_name

_CDA = f"{{{HL7}}}"
_BODY = f"{_CDA}component"
_CDA_ELEMENTS = f"{_CDA}*"
_NO_ELEMENTS: list[etree._Element] = []


class HeaderIndex:
    """The header of one document, indexed; every list is in document order."""

    def __init__(self, root: etree._Element) -> None:
        self.tops = [top for top in root.iterchildren("{*}*") if top.tag != _BODY]  # the ClinicalDocument's own header children
        self._by_path: dict[str, list[etree._Element]] = {}
        by_path = self._by_path
        path_of: dict[etree._Element | None, str] = {}  # a CDA-namespace chain's path, by element (while walking)
        for top in self.tops:
            if not str(top.tag).startswith(_CDA):
                continue
            path_of[top] = path = local_name(str(top.tag))
            by_path.setdefault(path, []).append(top)
            for element in top.iterdescendants(_CDA_ELEMENTS):  # document order, in C
                parent = path_of.get(element.getparent())
                if parent is not None:
                    path_of[element] = path = f"{parent}/{local_name(str(element.tag))}"
                    by_path.setdefault(path, []).append(element)

    def named(self, *tags: str, tops: bool = False) -> list[etree._Element]:
        """The header elements with these Clark tags, in document order; `tops`: with the ClinicalDocument's own children.

        A scan in C (lxml's tag filter); the elements' Python objects exist already, made by the walk.
        """
        if tops:
            return [element for top in self.tops for element in top.iter(*tags)]
        return [element for top in self.tops for element in top.iterdescendants(*tags)]

    def at(self, path: str) -> list[etree._Element]:
        """The elements at `path` ("author/assignedAuthor"), as XPath `cda:author/cda:assignedAuthor` from the ClinicalDocument."""
        return self._by_path.get(path, _NO_ELEMENTS)

    def paths(self) -> dict[str, list[etree._Element]]:
        """Every path of the header and its elements (paths in document order of their first element)."""
        return self._by_path
