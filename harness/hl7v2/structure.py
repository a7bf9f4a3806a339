"""Message structures as grammars, and a matcher that finds the first segment out of place.

A structure is written in HL7's abstract message syntax — `MSH [{SFT}] EVN PID [PD1] {OBX [{PRT}]}`:
`[ … ]` optional, `{ … }` repeatable — or taken from the standard (hl7apy) and extended. It is
compiled once into a small automaton (Thompson construction) whose state sets are cached, so
matching a message costs one dictionary lookup per segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

Node = tuple[Any, ...]  # ("seg", name) | ("seq", [nodes]) | ("opt", node) | ("rep", node)

_TOKEN = re.compile(r"\s*(\[|\]|\{|\}|[A-Z][A-Z0-9]{2})\s*")


class SyntaxDefinitionError(ValueError):
    pass


def parse_syntax(text: str) -> Node:
    """Parse `MSH [{SFT}] EVN …` into a grammar tree."""
    tokens: list[str] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            if text[position:].strip():
                raise SyntaxDefinitionError(f"unexpected text at {position}: {text[position:position + 12]!r}")
            break
        tokens.append(match.group(1))
        position = match.end()
    node, index = _sequence(tokens, 0, None)
    if index != len(tokens):
        raise SyntaxDefinitionError(f"unbalanced brackets in {text!r}")
    return node


def _sequence(tokens: list[str], index: int, closing: str | None) -> tuple[Node, int]:
    items: list[Node] = []
    while index < len(tokens):
        token = tokens[index]
        if token == closing:
            return ("seq", items), index + 1
        if token in "]}":
            raise SyntaxDefinitionError(f"unexpected {token}")
        if token == "[":
            inner, index = _sequence(tokens, index + 1, "]")
            items.append(("opt", inner))
        elif token == "{":
            inner, index = _sequence(tokens, index + 1, "}")
            items.append(("rep", inner))
        else:
            items.append(("seg", token))
            index += 1
    if closing:
        raise SyntaxDefinitionError(f"missing {closing}")
    return ("seq", items), index


def from_hl7apy(entry: tuple[Any, ...]) -> Node:
    """Convert an hl7apy message/group definition ('sequence', ((name, def, (min, max), 'SEG'|'GRP'), …))."""
    items: list[Node] = []
    for child in entry[1]:
        name, definition, (low, high), kind = child[0], child[1], child[2], child[3]
        node: Node = ("seg", name) if kind == "SEG" else from_hl7apy(definition)
        if high == -1 or high > 1:
            node = ("rep", node)
        if low == 0:
            node = ("opt", node)
        items.append(node)
    return ("seq", items)


def insert_after(node: Node, anchor: str, addition: Node) -> tuple[Node, bool]:
    """A copy of `node` with `addition` placed right after the first segment `anchor`."""
    kind = node[0]
    if kind == "seg":
        return node, False
    if kind in ("opt", "rep"):
        inner, done = insert_after(node[1], anchor, addition)
        return (kind, inner), done
    items: list[Node] = []
    done = False
    for child in node[1]:
        if done:
            items.append(child)
            continue
        if child == ("seg", anchor) or (child[0] == "opt" and child[1] == ("seg", anchor)):
            items.extend([child, addition])
            done = True
            continue
        new, done = insert_after(child, anchor, addition)
        items.append(new)
    return ("seq", items), done


def segment_names(node: Node) -> set[str]:
    if node[0] == "seg":
        return {node[1]}
    if node[0] == "seq":
        return set().union(*(segment_names(c) for c in node[1])) if node[1] else set()
    return segment_names(node[1])


def to_syntax(node: Node) -> str:
    kind = node[0]
    if kind == "seg":
        return str(node[1])
    if kind == "seq":
        return " ".join(to_syntax(c) for c in node[1])
    inner = to_syntax(node[1])
    return f"[{inner}]" if kind == "opt" else "{" + inner + "}"


@dataclass
class Automaton:
    """Thompson automaton of a grammar, with cached subset transitions."""

    epsilon: list[list[int]] = field(default_factory=list)
    moves: list[dict[str, list[int]]] = field(default_factory=list)
    start: frozenset[int] = frozenset()
    accept: int = 0
    names: frozenset[str] = frozenset()
    _cache: dict[tuple[frozenset[int], str], frozenset[int]] = field(default_factory=dict)

    @classmethod
    def compile(cls, node: Node) -> Automaton:
        automaton = cls()
        start, end = automaton._build(node)
        automaton.accept = end
        automaton.start = automaton._closure({start})
        automaton.names = frozenset(segment_names(node))
        return automaton

    def _state(self) -> int:
        self.epsilon.append([])
        self.moves.append({})
        return len(self.epsilon) - 1

    def _build(self, node: Node) -> tuple[int, int]:
        kind = node[0]
        if kind == "seg":
            start, end = self._state(), self._state()
            self.moves[start].setdefault(node[1], []).append(end)
            return start, end
        if kind == "seq":
            start = current = self._state()
            for child in node[1]:
                child_start, child_end = self._build(child)
                self.epsilon[current].append(child_start)
                current = child_end
            return start, current
        start, end = self._state(), self._state()
        child_start, child_end = self._build(node[1])
        self.epsilon[start].append(child_start)
        self.epsilon[child_end].append(end)
        if kind == "opt":
            self.epsilon[start].append(end)
        else:  # rep: one or more
            self.epsilon[child_end].append(child_start)
        return start, end

    def _closure(self, states: set[int]) -> frozenset[int]:
        stack, seen = list(states), set(states)
        while stack:
            for target in self.epsilon[stack.pop()]:
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
        return frozenset(seen)

    def step(self, states: frozenset[int], name: str) -> frozenset[int]:
        key = (states, name)
        found = self._cache.get(key)
        if found is None:
            targets = {t for s in states for t in self.moves[s].get(name, ())}
            found = self._closure(targets) if targets else frozenset()
            self._cache[key] = found
        return found

    def skip_to(self, states: frozenset[int], name: str) -> frozenset[int]:
        """States after `name` read further on, as if the segments expected before it were missing:
        `name` is consumed from any state reachable from `states`. Empty when `name` cannot come later."""
        key = (states, "\x00" + name)  # a separate cache entry: no segment name starts with NUL
        found = self._cache.get(key)
        if found is None:
            seen, stack = set(states), list(states)
            while stack:
                state = stack.pop()
                for target in [*self.epsilon[state], *(t for targets in self.moves[state].values() for t in targets)]:
                    if target not in seen:
                        seen.add(target)
                        stack.append(target)
            targets = {t for s in seen for t in self.moves[s].get(name, ())}
            found = self._cache[key] = self._closure(targets) if targets else frozenset()
        return found

    def expected(self, states: frozenset[int]) -> list[str]:
        return sorted({name for s in states for name in self.moves[s]})

    def accepts(self, states: frozenset[int]) -> bool:
        return self.accept in states
