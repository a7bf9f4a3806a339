"""One walk of a CDA header, shared by every rule: its elements by path, and by tag.

The header is every child of the ClinicalDocument but the body (`component`), with all it holds.
Many rules ask the same questions of it ("every author/assignedAuthor", "every telecom of the
header"). The walk, done once per document, files every element of a CDA-namespace chain under its
path: the local names from the ClinicalDocument down, joined by "/" ("author/assignedAuthor/assignedPerson"),
as XPath `cda:author/cda:assignedAuthor/…` selects them (an element under an element of another
namespace has no path). The same walk files every CDA element of the header under its Clark tag, so
that questions by tag ("every telecom") are dictionary lookups: a scan of the header by lxml's tag
filter, once per rule asking, cost about as much as the whole walk.
"""

from __future__ import annotations

import threading

from lxml import etree

from harness.cda.xpath import HL7, local_name

_CDA = f"{{{HL7}}}"
_BODY = f"{_CDA}component"
_CDA_ELEMENTS = f"{_CDA}*"
_NO_ELEMENTS: list[etree._Element] = []
_NO_TAGS: list[str] = []
_PATHS: dict[str, dict[str, str]] = {}  # path → Clark tag of a child → the child's path, shared by every document


class HeaderIndex:
    """The header of one document, indexed; every list is in document order."""

    def __init__(self, root: etree._Element) -> None:
        self.tops = [top for top in root.iterchildren("{*}*") if top.tag != _BODY]  # the ClinicalDocument's own header children
        self._by_path: dict[str, list[etree._Element]] = {}
        self._by_tag: dict[str, list[etree._Element]] = {}  # the CDA elements under the tops, by Clark tag
        self._tops_by_tag: dict[str, list[etree._Element]] = {}
        self._order: list[etree._Element] = []  # the tops and the CDA elements under them, in document order
        self._position: dict[etree._Element, int] | None = None  # index in _order, made when a question needs it
        # the Clark tags of each header element's CDA children, in order (reading .tag builds a new string each time)
        self._child_tags: dict[etree._Element, list[str]] = {}
        # The walk does the least per element (it is the one Python loop over the header): no string built, paths
        # taken from a table shared by every document (_PATHS), dictionary lookups rather than setdefault, and what
        # concerns the parent looked up once for a run of siblings (the walk meets them one after the other).
        child_tags, by_path, by_tag, order, paths = self._child_tags, self._by_path, self._by_tag, self._order, _PATHS
        if len(paths) > 1024:  # documents with ever new paths must not grow it without bound (nor a parent's table, below)
            paths.clear()
        path_of: dict[etree._Element, str] = {}  # a CDA-namespace chain's path, by element (while walking)
        last_parent: etree._Element | None = None  # the parent of the previous element, and its entries:
        tags: list[str] = []  # its children's tags,
        parent: str | None = None  # its path (None: not in a CDA-namespace chain),
        steps: dict[str, str] = {}  # and its children's paths by tag (when it has a path)
        for top in self.tops:
            top_tag: str = top.tag  # type: ignore[assignment]  # an element's (the filter leaves comments out)
            order.append(top)
            self._tops_by_tag.setdefault(top_tag, []).append(top)
            if top_tag.startswith(_CDA):
                path_of[top] = path = local_name(top_tag)
                by_path.setdefault(path, []).append(top)
            for element in top.iterdescendants(_CDA_ELEMENTS):  # document order, in C
                element_tag: str = element.tag  # type: ignore[assignment]
                order.append(element)
                found = by_tag.get(element_tag)
                if found is None:
                    by_tag[element_tag] = [element]
                else:
                    found.append(element)
                parent_element: etree._Element = element.getparent()  # type: ignore[assignment]  # never None: under a top
                if parent_element is not last_parent:
                    last_parent = parent_element
                    known_tags = child_tags.get(parent_element)
                    if known_tags is None:
                        known_tags = child_tags[parent_element] = []
                    tags = known_tags
                    parent = path_of.get(parent_element)
                    if parent is not None:
                        known_steps = paths.get(parent)
                        if known_steps is None:
                            known_steps = paths[parent] = {}
                        steps = known_steps
                tags.append(element_tag)
                if parent is not None:
                    known = steps.get(element_tag)
                    if known is None:
                        if len(steps) > 64:  # more kinds of children than any CDA R2 class has
                            steps.clear()
                        known = steps[element_tag] = f"{parent}/{local_name(element_tag)}"
                    path_of[element] = known
                    found = by_path.get(known)
                    if found is None:
                        by_path[known] = [element]
                    else:
                        found.append(element)

    def named(self, *tags: str, tops: bool = False) -> list[etree._Element]:
        """The header elements with these Clark tags (CDA namespace), in document order; `tops`: with the
        ClinicalDocument's own children. As XPath `cda:*[not(self::cda:component)]//*[…]` (with `tops`:
        `descendant-or-self::*`). The list may be the index's own: read it, do not change it.
        """
        if len(tags) == 1 and not tops and (found := self._by_tag.get(tags[0])) is not None:
            return found  # the common question, answered without the checks below (a filed tag is a CDA one)
        if not all(t.startswith(_CDA) for t in tags):  # the walk files the CDA namespace only
            raise ValueError(f"not a CDA element tag: {tags}")
        lists = [found for t in tags if (found := self._by_tag.get(t))]
        if tops:
            lists += [found for t in tags if (found := self._tops_by_tag.get(t))]
        if len(lists) <= 1:
            return lists[0] if lists else _NO_ELEMENTS
        if self._position is None:
            self._position = {element: index for index, element in enumerate(self._order)}
        return sorted((element for found in lists for element in found), key=self._position.__getitem__)

    def child_tags(self, element: etree._Element) -> tuple[str, ...]:
        """The Clark tags of the CDA-namespace children of a header element, in document order."""
        return tuple(self._child_tags.get(element, _NO_TAGS))

    def at(self, path: str) -> list[etree._Element]:
        """The elements at `path` ("author/assignedAuthor"), as XPath `cda:author/cda:assignedAuthor` from the ClinicalDocument."""
        return self._by_path.get(path, _NO_ELEMENTS)

    def paths(self) -> dict[str, list[etree._Element]]:
        """Every path of the header and its elements (paths in document order of their first element)."""
        return self._by_path


_ASKED: set[str] = set()  # every tag asked of any document so far (the next documents scan for them all at once)
_ASKED_LOCK = threading.Lock()


class DocumentScan:
    """Elements of chosen tags anywhere in one document (the ClinicalDocument included), as `root.iter(*tags)`.

    A scan of the whole document costs about the same for one tag or several (it is the walk, in C, that costs):
    the first question scans for every tag any rule has asked of any document so far, so that the rules asking
    for sections, authors, ... share one walk of a body instead of one each. When the header comes before the body
    (the body components are the ClinicalDocument's last children), only the body is scanned: the header's part of
    the answer is the header index's (HeaderIndex.named), whose walk every document makes anyway.
    """

    def __init__(self, root: etree._Element, header: HeaderIndex) -> None:
        self._root = root
        self._header = header
        self._scanned: frozenset[str] = frozenset()
        self._order: list[tuple[str, etree._Element]] = []  # (Clark tag, element) in document order (of the body only: _split)
        self._by_tag: dict[str, list[etree._Element]] = {}
        self._split = False  # _order and _by_tag hold the body's elements; the root and the header are asked of the index

    def named(self, *tags: str) -> list[etree._Element]:
        """The elements with these Clark tags, in document order. The list may be the scan's own: read it, do not change it."""
        if not self._scanned.issuperset(tags):
            with _ASKED_LOCK:
                if len(_ASKED) > 256:  # rules asking ever new tags must not grow it without bound
                    _ASKED.clear()
                _ASKED.update(tags)
                self._scanned = frozenset(_ASKED)
            self._scan()
        if len(tags) == 1:
            return self._by_tag.get(tags[0], _NO_ELEMENTS)
        wanted = set(tags)
        body = [element for element_tag, element in self._order if element_tag in wanted]
        if not self._split:
            return body
        head = [self._root] if self._root.tag in wanted else []
        return [*head, *self._header.named(*wanted, tops=True), *body]

    def _scan(self) -> None:
        root, scanned = self._root, self._scanned
        bodies = list(root.iterchildren(_BODY))
        # the split answers as root.iter only for CDA tags (the index files no other) and a header before the body
        self._split = all(t.startswith(_CDA) and t != _CDA_ELEMENTS for t in scanned) and (
            not bodies or all(sibling.tag == _BODY for sibling in bodies[0].itersiblings("{*}*")))
        parts = bodies if self._split else [root]
        order: list[tuple[str, etree._Element]] = [(element.tag, element) for part in parts for element in part.iter(*scanned)]  # type: ignore[misc]
        by_tag: dict[str, list[etree._Element]] = {}
        self._order, self._by_tag = order, by_tag
        for element_tag, element in order:
            found = by_tag.get(element_tag)
            if found is None:
                by_tag[element_tag] = [element]
            else:
                found.append(element)
        if self._split:
            for scanned_tag in scanned:
                head = [root] if root.tag == scanned_tag else []
                header = self._header.named(scanned_tag, tops=True)
                if head or header:
                    by_tag[scanned_tag] = [*head, *header, *by_tag.get(scanned_tag, _NO_ELEMENTS)]
