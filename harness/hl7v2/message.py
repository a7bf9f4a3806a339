"""The tokenized message: every segment (Z-segments and unknown ones too) with its line, and
accessors down to the subcomponent that apply the HL7 escape sequences.

Fields are kept as raw (escaped) text and split on demand: validating a message reads a few
dozen values, so splitting everything up front would cost more than it saves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Delimiters:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"


class Segment:
    """One segment: `fields[n]` is the raw text of field n (`fields[0]` is the segment id).

    For MSH, `fields[1]` is the field separator and `fields[2]` the encoding characters, so that
    field numbers match the standard's (MSH-3 is `fields[3]`).
    """

    __slots__ = ("name", "fields", "line")

    def __init__(self, name: str, fields: list[str], line: int) -> None:
        self.name, self.fields, self.line = name, fields, line

    def raw(self, number: int) -> str:
        return self.fields[number] if number < len(self.fields) else ""

    def __repr__(self) -> str:
        return f"Segment({self.name!r}, line={self.line})"


def location(segment: str, field: int | None = None, rep: int | None = None, comp: int | None = None, sub: int | None = None) -> str:
    """`PID-3[2].4.2`: segment, field, repetition (shown when given), component, subcomponent."""
    text = segment
    if field is not None:
        text += f"-{field}"
        if rep is not None:
            text += f"[{rep}]"
        if comp is not None:
            text += f".{comp}"
            if sub is not None:
                text += f".{sub}"
    return text


def expected_received(where: str, received: str | None, expected: str | Iterable[str]) -> tuple[str, str]:
    """The one wording of a value that is not the expected one, in French and English: where, the value
    received (∅ when empty) and the value(s) expected — `PID-8 : reçu « X », attendu F, M`."""
    wanted = expected if isinstance(expected, str) else ", ".join(sorted(expected)) or "∅"
    got = received if received else "∅"
    return f"{where} : reçu « {got} », attendu {wanted}", f"{where}: received '{got}', expected {wanted}"


@lru_cache(maxsize=16)
def _escape_pattern(escape: str) -> re.Pattern[str]:
    e = re.escape(escape)
    return re.compile(f"{e}([^{e}]*){e}")


def unescape(text: str, d: Delimiters) -> str:
    """Apply the HL7 escape sequences (\\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\Xhh\\ \\.br\\ …) to a leaf value."""
    if d.escape not in text:
        return text
    simple = {"F": d.field, "S": d.component, "T": d.subcomponent, "R": d.repetition, "E": d.escape, ".br": "\n"}

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in simple:
            return simple[code]
        if code[:1] == "X" and len(code) > 1 and len(code) % 2 == 1:
            try:
                return bytes.fromhex(code[1:]).decode("latin-1")
            except ValueError:
                return match.group(0)
        if code in ("H", "N") or code[:1] in ("C", "M", "Z"):
            return ""  # highlighting and character-set switches carry no text
        return match.group(0)

    return _escape_pattern(d.escape).sub(replace, text)


def bad_escapes(text: str, d: Delimiters) -> list[str]:
    """Escape sequences of `text` that HL7 does not define (or an escape character left open)."""
    if d.escape not in text:
        return []
    bad: list[str] = []
    rest = _escape_pattern(d.escape).sub(lambda m: _check(m.group(1), bad), text)
    if d.escape in rest:
        bad.append(d.escape)
    return bad


_VALID_ESCAPE = re.compile(r"^(F|S|T|R|E|H|N|\.br|\.sp\d*|\.in[+-]?\d+|\.ti[+-]?\d+|\.sk\d*|\.ce|\.fi|\.nf|"
                           r"X(?:[0-9A-Fa-f]{2})+|C[0-9A-Fa-f]{4}|M[0-9A-Fa-f]{4}(?:[0-9A-Fa-f]{2})?|Z.*)$")


def _check(code: str, bad: list[str]) -> str:
    if not _VALID_ESCAPE.match(code):
        bad.append(code)
    return ""


class Message:
    """A tokenized HL7 v2 message."""

    __slots__ = ("segments", "delimiters", "charset", "text", "_by_name", "_split")

    def __init__(self, segments: list[Segment], delimiters: Delimiters, charset: str, text: str) -> None:
        self.segments, self.delimiters, self.charset, self.text = segments, delimiters, charset, text
        by_name: dict[str, list[Segment]] = {}
        for segment in segments:
            by_name.setdefault(segment.name, []).append(segment)
        self._by_name = by_name
        self._split: dict[tuple[int, int, int], list[str]] = {}  # (line, field, rep) → components

    def _components_of(self, segment: Segment, field: int, rep: int) -> list[str] | None:
        """Raw components of one repetition, split once (a base64 document is read several times)."""
        key = (segment.line, field, rep)
        found = self._split.get(key)
        if found is None:
            raw = segment.raw(field)
            d = self.delimiters
            reps = raw.split(d.repetition) if d.repetition in raw else [raw]
            if rep > len(reps):
                return None
            found = self._split[key] = reps[rep - 1].split(d.component)
        return found

    # -- navigation -------------------------------------------------------------------------
    def all(self, name: str) -> list[Segment]:
        return self._by_name.get(name, [])

    def first(self, name: str) -> Segment | None:
        found = self._by_name.get(name)
        return found[0] if found else None

    @property
    def msh(self) -> Segment:
        return self.segments[0]

    # -- splitting --------------------------------------------------------------------------
    def repetitions(self, segment: Segment, field: int) -> list[str]:
        raw = segment.raw(field)
        if not raw:
            return []
        if segment.name == "MSH" and field in (1, 2):
            return [raw]
        return raw.split(self.delimiters.repetition)

    def components(self, raw_repetition: str) -> list[str]:
        return raw_repetition.split(self.delimiters.component)

    def subcomponents(self, raw_component: str) -> list[str]:
        return raw_component.split(self.delimiters.subcomponent)

    def tree(self, segment: Segment, field: int) -> list[list[list[str]]]:
        """Field `field` fully split and unescaped: repetitions → components → subcomponents."""
        d = self.delimiters
        return [[[unescape(s, d) for s in c.split(d.subcomponent)] for c in r.split(d.component)] for r in self.repetitions(segment, field)]

    # -- values -----------------------------------------------------------------------------
    def value(self, segment: Segment | None, field: int, rep: int = 1, comp: int | None = None, sub: int | None = None) -> str:
        """The unescaped value at `field`, repetition `rep`, component `comp`, subcomponent `sub`
        (1-based); without `comp` the whole repetition's raw text unescaped. Missing → ""."""
        if segment is None:
            return ""
        raw = segment.raw(field)
        if not raw:
            return ""
        if segment.name == "MSH" and field in (1, 2):
            return raw
        d = self.delimiters
        if comp is None:
            if d.repetition in raw:
                reps = raw.split(d.repetition)
                if rep > len(reps):
                    return ""
                raw = reps[rep - 1]
            elif rep != 1:
                return ""
            return unescape(raw, d)
        comps = self._components_of(segment, field, rep)
        if comps is None or comp > len(comps):
            return ""
        raw = comps[comp - 1]
        if sub is not None:
            subs = raw.split(d.subcomponent)
            if sub > len(subs):
                return ""
            raw = subs[sub - 1]
        return unescape(raw, d)

    def component(self, raw_repetition: str, comp: int, sub: int | None = None) -> str:
        """A component (or subcomponent) of one raw repetition, unescaped and trimmed."""
        d = self.delimiters
        comps = raw_repetition.split(d.component)
        if comp > len(comps):
            return ""
        raw = comps[comp - 1]
        if sub is not None:
            subs = raw.split(d.subcomponent)
            raw = subs[sub - 1] if sub <= len(subs) else ""
        return unescape(raw, d).strip()

    @property
    def message_type(self) -> tuple[str, str, str]:
        """MSH-9 as (code, trigger, structure), trimmed."""
        msh = self.msh
        return (self.value(msh, 9, 1, 1).strip(), self.value(msh, 9, 1, 2).strip(), self.value(msh, 9, 1, 3).strip())

    @property
    def version(self) -> str:
        return self.value(self.msh, 12, 1, 1).strip()

    @property
    def control_id(self) -> str:
        return self.value(self.msh, 10).strip()
