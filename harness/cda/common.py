"""Checks shared by many header rules: required attributes, no nullFlavor, coded values in a value set."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any, TypeVar

from lxml import etree

from harness.cda.data import CdaData, ValueSet
from harness.cda.engine import Doc, Out
from harness.cda.xpath import has_nf, local, local_name, tag
from harness.core.safe_regex import compile_pattern


class TextMatch:
    """A match of a `Pattern`: its groups as text."""

    __slots__ = ("_match", "_groups", "_text")

    def __init__(self, match: Any, groups: dict[str, int], text: bytes) -> None:
        self._match, self._groups, self._text = match, groups, text

    def group(self, name: str | int = 0) -> str | None:
        start, end = self._match.span(name if isinstance(name, int) else self._groups[name])
        return None if start < 0 else self._text[start:end].decode("utf-8")


class Pattern:
    """A pattern from the packs' data run by the safe engine (RE2, linear time) on the text's UTF-8 bytes.

    RE2 reads UTF-8 bytes whatever it is given: matching the bytes gives the same answer as matching the
    text, without the Python wrapper mapping every byte offset back to a character offset (3x the cost,
    and rules match ~100 header values per document).
    """

    __slots__ = ("_compiled", "_groups", "_known")

    def __init__(self, pattern: str) -> None:
        self._compiled = compile_pattern(pattern)
        self._groups: dict[str, int] = dict(self._compiled.groupindex)  # the wrapper rebuilds it at every lookup
        self._known: dict[str, bool] = {}  # text → matches: a call to RE2 costs ~1.5 µs, and values recur (OIDs, telecoms)

    def matches(self, text: str) -> bool:
        """Whether the pattern matches `text` (as `match`), remembered for the texts seen before."""
        known = self._known.get(text)
        if known is None:
            if len(self._known) > 4096:  # documents of ever new values must not grow it without bound
                self._known.clear()
            known = self._known[text] = self.match(text) is not None
        return known

    def match(self, text: str) -> TextMatch | None:
        encoded = text.encode("utf-8")
        found = self._compiled.match(encoded)
        return None if found is None else TextMatch(found, self._groups, encoded)


@lru_cache(maxsize=256)
def regex(pattern: str) -> Pattern:
    """A pattern from the packs' data, compiled once by the safe engine (harness.core.safe_regex: RE2, linear time)."""
    return Pattern(pattern)


def header_iter(doc: Doc, *names: str) -> list[etree._Element]:
    """The elements named `names` (CDA namespace) inside the header's participations and acts, in document order
    (XPath `cda:*[not(self::cda:component)]//*[…]`), from the document's header index."""
    return doc.header.named(*(tag(n) for n in names))


_NO_ELEMENTS: list[etree._Element] = []


def header_children(doc: Doc, parent: etree._Element, name: str) -> list[etree._Element]:
    """The children named `name` (CDA namespace) of `parent`, an element inside the header's participations and acts
    (the ClinicalDocument's own children are `doc.header.at(name)`), in document order: as `children(parent, name)`,
    from the header index. The header's elements of that name are grouped by parent once per document (asking lxml
    for the children of one element costs about twenty dictionary lookups). The list may be shared: read it, do not
    change it."""
    if parent is doc.root:  # the index groups the elements below the header's tops, not the tops themselves
        raise ValueError("the ClinicalDocument's children are doc.header.at(name)")
    groups: dict[str, dict[etree._Element, list[etree._Element]]] | None = doc.cache.get("header_children")
    if groups is None:
        groups = doc.cache["header_children"] = {}
    by_parent = groups.get(name)
    if by_parent is None:
        by_parent = groups[name] = {}
        for element in doc.header.named(tag(name)):
            by_parent.setdefault(element.getparent(), []).append(element)  # type: ignore[arg-type]  # never None: under a top
    return by_parent.get(parent, _NO_ELEMENTS)


def header_child(doc: Doc, parent: etree._Element, name: str) -> etree._Element | None:
    """The first child named `name` of `parent` (see header_children), or None."""
    found = header_children(doc, parent, name)
    return found[0] if found else None


def header_suspects(doc: Doc, suspects: Mapping[str, Callable[[etree._Element], bool]], tops: bool = False) -> list[etree._Element]:
    """The header elements for which the test of their Clark tag in `suspects` holds (`tops`: the ClinicalDocument's own
    children too), in document order: as filtering `doc.header.named(*suspects, tops=tops)`, without putting the
    elements of several tags in document order (a sort of the whole header) unless several are suspect."""
    header = doc.header
    found = [element for t, suspect in suspects.items() for element in header.named(t) if suspect(element)]
    if tops:
        found += [element for t, suspect in suspects.items() for element in header.at(local_name(t)) if suspect(element)]
    if len(found) <= 1:
        return found
    wanted = set(found)
    return [element for element in header.named(*suspects, tops=tops) if element in wanted]


def header_below(doc: Doc, element: etree._Element, path: str, element_path: str | None = None) -> list[etree._Element]:
    """The elements at `path` ("name/family") below `element`, a header element, in document order: as XPath
    `cda:name/cda:family` from `element`. With `element_path`, the path of `element` from the ClinicalDocument:
    when `element` is the only element there, the header index answers at once."""
    if element_path is not None and doc.header.at(element_path) == [element]:
        return doc.header.at(f"{element_path}/{path}")
    found = [element]
    for step in path.split("/"):
        found = [below for parent in found for below in header_children(doc, parent, step)]
    return found


def header_union(doc: Doc, *paths: str) -> list[etree._Element]:
    """The elements at any of `paths` from the ClinicalDocument, in document order: as XPath `cda:a/cda:b | cda:c/cda:d`."""
    lists = [found for path in paths if (found := doc.header.at(path))]
    if len(lists) <= 1:
        return lists[0] if lists else _NO_ELEMENTS
    wanted = {element for found in lists for element in found}
    return [element for element in doc.header.named(*{tag(path.rpartition("/")[2]) for path in paths}, tops=True)
            if element in wanted]


_Compiled = TypeVar("_Compiled")
_COMPILED: dict[tuple[Callable[[Any], Any], int], tuple[Any, Any]] = {}


def compiled(data: CdaData, name: str, build: Callable[[Any], _Compiled]) -> _Compiled:
    """`build(data.const(name))`, made once per table of the packs' data rather than once per document
    (the packs' data is loaded once and never changed)."""
    table = data.const(name)
    key = (build, id(table))
    found = _COMPILED.get(key)
    if found is None:
        if len(_COMPILED) > 256:  # ever new pack data (tests) must not grow it without bound
            _COMPILED.clear()
        found = _COMPILED[key] = (table, build(table))  # the table kept: its id is not reused while the entry lives
    result: _Compiled = found[1]
    return result


def templates(doc: Doc) -> list[etree._Element]:
    """The ClinicalDocument's templateIds (the list may be the header index's own: read it, do not change it)."""
    return doc.header.at("templateId")


def require_attrs(out: Out, element: etree._Element, attrs: Iterable[str]) -> bool:
    """Every attribute of `attrs` is present and non-empty on `element`; True when all are."""
    ok = True
    for name in attrs:
        if not (element.get(name) or "").strip():
            out.fail(element, f"{local(element)} : l'attribut @{name} est obligatoire",
                     f"{local(element)}: attribute @{name} is required", name)
            ok = False
    return ok


def require_children(doc: Doc, out: Out, parent: etree._Element, name: str, attrs: Iterable[str],
                     missing_fr: str, missing_en: str) -> list[etree._Element]:
    """At least one child `name` of `parent` (a header element, see header_children), each carrying `attrs`;
    returns the children found."""
    found = header_children(doc, parent, name)
    if not found:
        out.fail(parent, missing_fr, missing_en)
    for element in found:
        require_attrs(out, element, attrs)
    return found


def require_ps_id(doc: Doc, out: Out, entity: etree._Element, ps_root: str) -> None:
    """A health professional's assignedEntity (in the header) carries an id under the RPPS/ADELI root, with @extension."""
    ids = [i for i in header_children(doc, entity, "id") if i.get("root") == ps_root]
    if not ids:
        out.fail(entity, f"assignedEntity/id[@root='{ps_root}'] (RPPS/ADELI) obligatoire",
                 f"assignedEntity/id[@root='{ps_root}'] (RPPS/ADELI) is required")
    for identifier in ids:
        require_attrs(out, identifier, ["extension"])


def require_no_nf(out: Out, element: etree._Element) -> bool:
    if has_nf(element):
        out.fail(element, f"{local(element)} : nullFlavor interdit", f"{local(element)}: nullFlavor is not allowed", "nullFlavor")
        return False
    return True


def require_present(out: Out, parent: etree._Element, found: list[etree._Element], what: str, no_nf: bool = True) -> list[etree._Element]:
    """At least one element `what` under `parent` (without nullFlavor when `no_nf`); returns those found."""
    usable = [e for e in found if not (no_nf and has_nf(e))]
    if not found:
        out.fail(parent, f"élément {what} obligatoire absent", f"required element {what} is missing")
    elif not usable:
        out.fail(found[0], f"{what} : au moins une occurrence sans nullFlavor est obligatoire",
                 f"{what}: at least one occurrence without nullFlavor is required", "nullFlavor")
    return usable


def require_coded(out: Out, element: etree._Element, vs: ValueSet, attrs: Iterable[str] = ("code", "codeSystem", "displayName"),
                  check_system: bool = True) -> None:
    """`element` carries `attrs` and its @code (with its @codeSystem when `check_system`) is in `vs`."""
    code = element.get("code")
    if code is None and has_nf(element):
        return
    if not require_attrs(out, element, attrs) and code is None:
        return
    system = element.get("codeSystem")
    if not vs.contains(code, system, check_system):
        shown = f"{code}@{system}" if check_system else str(code)
        out.fail(element, f"{local(element)} : le code {shown} n'appartient pas au jeu de valeurs {vs.label()}",
                 f"{local(element)}: code {shown} is not in value set {vs.label()}", "code")


def require_value(out: Out, element: etree._Element, attribute: str, expected: str | Iterable[str]) -> bool:
    allowed = [expected] if isinstance(expected, str) else list(expected)
    value = element.get(attribute)
    if value not in allowed:
        shown = " | ".join(allowed)
        out.fail(element, f"{local(element)}/@{attribute} vaut « {value} », attendu : {shown}",
                 f"{local(element)}/@{attribute} is '{value}', expected: {shown}", attribute)
        return False
    return True
