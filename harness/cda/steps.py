"""Plain child-step XPaths, evaluated without the XPath engine.

Most paths of the packs' declarative checks are child steps with simple predicates, e.g.
`cda:componentOf/cda:encompassingEncounter/cda:code[not(@nullFlavor)]`. Evaluating such a path with
lxml's XPath costs a few microseconds of set-up each time, about a hundred times per document; following
the children by tag (in C) and testing attributes costs a fraction of that. `child_path` compiles the
subset below, once per pack, into a `ChildPath` selecting exactly what the XPath selects, in document
order; any other expression gives None and stays an XPath.

    .                                   the element itself
    cda:name / *                        children of that CDA tag / every child element, step after step
    step[N]                             the N-th of the step's children (per parent), after the predicates before it
    step[@a] [not(@a)] [@a='v']         attribute present, absent, equal
    step[normalize-space(@a)]           attribute with more than XML whitespace
    step[cda:x/cda:y[...]]              the element has something at that relative child path
    step[self::cda:a or self::cda:b]    the element has one of these tags
    step[A or B]                        either test
    (path)[N]                           the N-th of the whole selection
    a/b/c | a/b/d                       a union of paths differing only by their last, predicate-free step
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from harness.cda.xpath import HL7

if TYPE_CHECKING:
    from harness.cda.engine import Doc

Test = Callable[[etree._Element], bool]
_ANY = "*"  # lxml's tag filter for every element (no comments, no processing instructions)
_NAME = r"[A-Za-z_][\w.-]*"
_STEP_NAME = re.compile(rf"(?:cda:({_NAME})|(\*))$")
_ATTRIBUTE = re.compile(rf"@({_NAME})$")
_NOT_ATTRIBUTE = re.compile(rf"not\(\s*@({_NAME})\s*\)$")
_ATTRIBUTE_EQUALS = re.compile(rf"@({_NAME})\s*=\s*'([^']*)'$")
_NORMALIZED = re.compile(rf"normalize-space\(\s*@({_NAME})\s*\)$")
_SELF = re.compile(rf"self::cda:({_NAME})$")
_XML_SPACE = " \t\r\n"
_BODY = f"{{{HL7}}}component"


class _NotPlain(Exception):
    """The expression is outside the subset: it stays an XPath."""


@dataclass(frozen=True)
class _Step:
    tags: tuple[str, ...]  # Clark tags (one, or several for a merged union), or (_ANY,)
    predicates: tuple[int | Test, ...]  # in order: a position (1-based) or a test

    def children(self, element: etree._Element) -> list[etree._Element]:
        return self.filter(list(element.iterchildren(*self.tags)))

    def filter(self, siblings: list[etree._Element]) -> list[etree._Element]:
        """The predicates applied to `siblings`, the children of one parent with the step's tags, in order."""
        for predicate in self.predicates:
            siblings = siblings[predicate - 1:predicate] if isinstance(predicate, int) else [node for node in siblings if predicate(node)]
        return siblings


@dataclass(frozen=True)
class ChildPath:
    """A compiled plain path (see the module's docstring)."""

    steps: tuple[_Step, ...]
    position: int | None = None  # (path)[N]
    # From the ClinicalDocument, the header index answers the leading steps: a path of predicate-free steps ("a/b"),
    # then the predicates of the step after them, applied to the index's elements at the longer path ("a/b/c"), when
    # that is the same as applying them per parent: for the first step (one parent, the ClinicalDocument), or for
    # predicates without a position (each element judged alone).
    header_path: str | None = field(default=None, init=False, compare=False)
    filter: _Step | None = field(default=None, init=False, compare=False)  # the step whose predicates remain to apply
    rest: tuple[_Step, ...] = field(default=(), init=False, compare=False)

    def __post_init__(self) -> None:
        lead = 0
        while lead < len(self.steps) and _plain(self.steps[lead]):
            lead += 1
        if lead < len(self.steps) and _single(self.steps[lead]) and (
                lead == 0 or not any(isinstance(predicate, int) for predicate in self.steps[lead].predicates)):
            object.__setattr__(self, "filter", self.steps[lead])
            lead += 1
        if lead == 0 or self.steps[0].tags[0] == _BODY:  # the index holds the header, not the body
            object.__setattr__(self, "filter", None)
            return
        object.__setattr__(self, "header_path", "/".join(step.tags[0][len(HL7) + 2:] for step in self.steps[:lead]))
        object.__setattr__(self, "rest", self.steps[lead:])

    def select(self, element: etree._Element) -> list[etree._Element]:
        return self._finish(self._follow([element], self.steps))

    def select_from_root(self, doc: Doc) -> list[etree._Element]:
        """The selection from the ClinicalDocument, its leading steps answered by the header index."""
        if self.header_path is None:
            return self.select(doc.root)
        found = doc.header.at(self.header_path)
        if self.filter is not None:
            found = self.filter.filter(found)
        if self.rest:
            found = self._follow(found, self.rest)
        return found if self.position is None else found[self.position - 1:self.position]

    @staticmethod
    def _follow(found: list[etree._Element], steps: tuple[_Step, ...]) -> list[etree._Element]:
        for step in steps:  # child steps from nodes in document order, all at one depth: the result is in document order
            if not found:
                break
            found = step.children(found[0]) if len(found) == 1 else [node for parent in found for node in step.children(parent)]
        return found

    def _finish(self, found: list[etree._Element]) -> list[etree._Element]:
        if self.position is not None:
            return found[self.position - 1:self.position]
        return found


def _single(step: _Step) -> bool:
    """The step names one CDA tag."""
    return len(step.tags) == 1 and step.tags[0] != _ANY


def _plain(step: _Step) -> bool:
    return not step.predicates and _single(step)


def child_path(expression: str) -> ChildPath | None:
    """The ChildPath selecting what `expression` selects, or None when the expression is outside the subset."""
    try:
        return _path(expression.strip())
    except _NotPlain:
        return None


def _path(text: str) -> ChildPath:
    alternatives = split_outside_brackets(text, "|")
    if len(alternatives) > 1:
        return _union([_path(alternative) for alternative in alternatives])
    wrapped = re.fullmatch(r"\((.*)\)\s*\[\s*([1-9][0-9]*)\s*\]", text, re.DOTALL)
    if wrapped:
        inner = _path(wrapped.group(1).strip())
        if inner.position is not None:
            raise _NotPlain
        return ChildPath(inner.steps, int(wrapped.group(2)))
    if text == ".":
        return ChildPath(())
    return ChildPath(tuple(_step(step.strip()) for step in split_outside_brackets(text, "/")))


def _union(paths: list[ChildPath]) -> ChildPath:
    """Paths alike but for their last, predicate-free step: one path whose last step takes any of their tags."""
    first = paths[0]
    if any(p.position is not None or not p.steps or p.steps[:-1] != first.steps[:-1] or p.steps[-1].predicates
           or _ANY in p.steps[-1].tags for p in paths):
        raise _NotPlain
    tags = tuple(dict.fromkeys(tag for p in paths for tag in p.steps[-1].tags))
    return ChildPath((*first.steps[:-1], _Step(tags, ())))


def _step(text: str) -> _Step:
    bracket = text.find("[")
    name, rest = (text, "") if bracket < 0 else (text[:bracket].strip(), text[bracket:])
    match = _STEP_NAME.match(name)
    if not match:
        raise _NotPlain
    predicates: list[int | Test] = []
    for predicate in _predicates(rest):
        predicates.append(int(predicate) if re.fullmatch(r"[0-9]+", predicate) and int(predicate) > 0 else _test(predicate))
    return _Step((f"{{{HL7}}}{match.group(1)}" if match.group(1) else _ANY,), tuple(predicates))


def _predicates(text: str) -> list[str]:
    """The bracketed predicates of a step ("[a][b]" → ["a", "b"])."""
    found: list[str] = []
    while text:
        if text[0] != "[":
            raise _NotPlain
        depth, quote = 0, None
        for index, character in enumerate(text):
            if quote:
                quote = None if character == quote else quote
            elif character in "'\"":
                quote = character
            elif character == "[":
                depth += 1
            elif character == "]":
                depth -= 1
                if depth == 0:
                    found.append(text[1:index].strip())
                    text = text[index + 1:].strip()
                    break
        else:
            raise _NotPlain
    return found


def _test(text: str) -> Test:
    alternatives = split_outside_brackets(text, " or ")
    if len(alternatives) > 1:
        tests = [_test(alternative.strip()) for alternative in alternatives]
        selves = [_SELF.match(alternative.strip()) for alternative in alternatives]
        if all(selves):
            tags = frozenset(f"{{{HL7}}}{match.group(1)}" for match in selves if match)
            return lambda element: element.tag in tags
        return lambda element: any(test(element) for test in tests)
    if match := _NOT_ATTRIBUTE.match(text):
        absent = match.group(1)
        return lambda element: element.get(absent) is None
    if match := _ATTRIBUTE.match(text):
        present = match.group(1)
        return lambda element: element.get(present) is not None
    if match := _ATTRIBUTE_EQUALS.match(text):
        name, value = match.groups()
        return lambda element: element.get(name) == value
    if match := _NORMALIZED.match(text):
        spaced = match.group(1)
        return lambda element: bool((element.get(spaced) or "").strip(_XML_SPACE))
    if match := _SELF.match(text):
        own = f"{{{HL7}}}{match.group(1)}"
        return lambda element: element.tag == own
    if text.startswith("cda:"):  # a relative path: the element has something there
        inner = _path(text)
        if inner.position is not None:
            raise _NotPlain
        return lambda element: bool(inner.select(element))
    raise _NotPlain


def split_outside_brackets(text: str, separator: str) -> list[str]:
    """`text` split on `separator` outside brackets, parentheses and quotes, each part stripped (XPath text:
    also what the kit's compiler splits schematron contexts with)."""
    parts: list[str] = []
    depth, quote, start, index = 0, None, 0, 0
    while index < len(text):
        character = text[index]
        if quote:
            quote = None if character == quote else quote
        elif character in "'\"":
            quote = character
        elif character in "[(":
            depth += 1
        elif character in "])":
            depth -= 1
        elif depth == 0 and text.startswith(separator, index):
            parts.append(text[start:index])
            index += len(separator)
            start = index
            continue
        index += 1
    parts.append(text[start:])
    return [part.strip() for part in parts]
