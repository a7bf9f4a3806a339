"""Declarative HL7 v2 rules: field checks written as pack data, the HL7 v2 equivalent of harness.cda.declarative.

A requirement of a pack evaluated by `validator:hl7v2` may carry `[[requirements.hl7v2_checks]]` tables
(docs/profile-packs.md, "Declarative checks"). Each names a `field` (`SEG-n`, `SEG-n.c`, `SEG-n.c.s`, first
repetition) judged in every occurrence of its segment:

    required = true                  the field is not empty
    empty = true                     the field is empty
    values = ["A", "B"]              the field holds one of the values (ignore_case = true compares in upper case)
    pattern = "^\\d{8}"              the field matches (RE2: linear time)
    equal = "PV1-19"                 the field equals another field of the same segment

`when = { field = "ZFD-5", values = ["INSI"], ignore_case = true }` judges only the segments where that
field holds one of the values; `message_types = ["ADT"]` limits the check to those MSH-9.1 codes
(otherwise every message but acknowledgements). `message = { fr, en }` replaces the default wording
(placeholders {field}, {value}, {expected}). The requirement is evaluated for every message the check
applies to; its severity is the requirement's level in the pack; the location is the field and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from harness.core.errors import HarnessError
from harness.core.findings import Finding, Severity
from harness.core.safe_regex import UnsafePattern, compile_pattern
from harness.hl7v2.message import Message, Segment, expected_received

_PATH = re.compile(r"^([A-Z][A-Z0-9]{2})-(\d+)(?:\.(\d+)(?:\.(\d+))?)?$")
SHAPES = ("required", "empty", "values", "pattern", "equal")
KEYS = {"field", "when", "message", "message_types", "ignore_case", *SHAPES}


class FieldCheckError(HarnessError):
    def __init__(self, where: str, fr: str, en: str) -> None:
        super().__init__(f"{where} : hl7v2_checks : {fr}", f"{where}: hl7v2_checks: {en}")


@dataclass(frozen=True)
class FieldPath:
    text: str
    segment: str
    field: int
    comp: int | None
    sub: int | None

    def value(self, message: Message, segment: Segment) -> str:
        return message.value(segment, self.field, 1, self.comp, self.sub).strip()


def _path(where: str, text: Any) -> FieldPath:
    match = _PATH.match(text) if isinstance(text, str) else None
    if match is None:
        raise FieldCheckError(where, f"chemin de champ invalide {text!r} (ex. PID-3.4.2)", f"invalid field path {text!r} (e.g. PID-3.4.2)")
    segment, field, comp, sub = match.groups()
    return FieldPath(text, segment, int(field), int(comp) if comp else None, int(sub) if sub else None)


@dataclass(frozen=True)
class FieldCheck:
    requirement: str
    field: FieldPath
    message: tuple[str, str] | None
    message_types: tuple[str, ...]
    when: tuple[FieldPath, frozenset[str], bool] | None = None
    required: bool = False
    empty: bool = False
    values: frozenset[str] | None = None
    ignore_case: bool = False
    pattern: Any = None
    equal: FieldPath | None = None

    def applies(self, message: Message) -> bool:
        code = message.message_type[0]
        return code in self.message_types if self.message_types else code != "ACK"

    def run(self, message: Message, severity: Severity) -> list[Finding]:
        findings: list[Finding] = []
        for segment in message.all(self.field.segment):
            if self.when is not None:
                path, wanted, fold = self.when
                got = path.value(message, segment)
                if (got.upper() if fold else got) not in wanted:
                    continue
            value = self.field.value(message, segment)
            shown = value.upper() if self.ignore_case else value
            problem: tuple[str, str] | None = None
            if self.required and not value:
                problem = expected_received(self.field.text, value, "une valeur / a value")
            elif self.empty and value:
                problem = expected_received(self.field.text, value, "∅")
            elif value and self.values is not None and shown not in self.values:
                problem = expected_received(self.field.text, value, self.values)
            elif value and self.pattern is not None and not self.pattern.search(value):
                problem = expected_received(self.field.text, value, self.pattern.pattern)
            elif self.equal is not None and value != (other := self.equal.value(message, segment)):
                problem = expected_received(self.field.text, value, f"{self.equal.text} ({other or '∅'})")
            if problem is not None:
                if self.message is not None:
                    fields = {"field": self.field.text, "value": value}
                    problem = (self.message[0].format_map(fields), self.message[1].format_map(fields))
                findings.append(Finding(self.requirement, severity, problem[0], problem[1], self.field.text, segment.line))
        return findings


def compile_check(where: str, requirement: str, raw: dict[str, Any]) -> FieldCheck:
    """Compile one `[[requirements.hl7v2_checks]]` table (its shape was checked by the pack schema)."""
    unknown = set(raw) - KEYS
    if unknown:
        raise FieldCheckError(where, f"clé inconnue : {', '.join(sorted(unknown))}", f"unknown key: {', '.join(sorted(unknown))}")
    if not any(shape in raw for shape in SHAPES):
        raise FieldCheckError(where, f"aucune forme de contrôle ({', '.join(SHAPES)})", f"no check shape ({', '.join(SHAPES)})")
    field = _path(where, raw.get("field"))
    when = raw.get("when")
    if when is not None:
        fold = bool(when.get("ignore_case", False))
        when_path = _path(where, when["field"])
        if when_path.segment != field.segment:
            raise FieldCheckError(where, "when : même segment que field attendu", "when: the same segment as field is expected")
        wanted = frozenset(v.upper() if fold else v for v in when["values"])
    equal = _path(where, raw["equal"]) if "equal" in raw else None
    if equal is not None and equal.segment != field.segment:
        raise FieldCheckError(where, "equal : même segment que field attendu", "equal: the same segment as field is expected")
    ignore_case = bool(raw.get("ignore_case", False))
    try:
        pattern = compile_pattern(raw["pattern"]) if "pattern" in raw else None
    except UnsafePattern as exc:
        raise FieldCheckError(where, f"expression régulière refusée (RE2) : {exc}", f"regular expression refused (RE2): {exc}") from None
    message = raw.get("message")
    return FieldCheck(
        requirement=requirement, field=field, message=(message["fr"], message["en"]) if message else None,
        message_types=tuple(raw.get("message_types", ())), when=(when_path, wanted, fold) if when is not None else None,
        required=bool(raw.get("required", False)), empty=bool(raw.get("empty", False)),
        values=frozenset(v.upper() if ignore_case else v for v in raw["values"]) if "values" in raw else None,
        ignore_case=ignore_case, pattern=pattern, equal=equal,
    )


def pack_checks(pack: Any) -> tuple[FieldCheck, ...]:
    """The compiled hl7v2_checks of a loaded pack, in the order of its requirements."""
    return tuple(compile_check(f"{pack.path} : exigence/requirement {r.id}", r.id, raw)
                 for r in pack.requirements for raw in r.checks.get("hl7v2", ()))


def run_checks(message: Message, checks: tuple[FieldCheck, ...], severity_of: Any) -> tuple[list[Finding], list[str]]:
    """Findings and evaluated requirement ids of the checks that apply to `message`."""
    findings: list[Finding] = []
    evaluated: list[str] = []
    for check in checks:
        if check.applies(message):
            findings += check.run(message, severity_of(check.requirement))
            evaluated.append(check.requirement)
    return findings, list(dict.fromkeys(evaluated))


_CHECKS: dict[int, tuple[Any, tuple[FieldCheck, ...]]] = {}


def checks_of(pack: Any) -> tuple[FieldCheck, ...]:
    """`pack_checks(pack)`, compiled once per loaded pack (keyed by identity; the entry keeps the pack alive)."""
    hit = _CHECKS.get(id(pack))
    if hit is None or hit[0] is not pack:
        if len(_CHECKS) > 64:
            _CHECKS.clear()
        hit = _CHECKS[id(pack)] = (pack, pack_checks(pack))
    return hit[1]


def severity_of_level(level: str) -> Severity:
    """HL7 v2 convention (harness.hl7v2.profiles): a MUST violation is an error, a SHOULD or MAY one a warning."""
    return Severity.ERROR if level == "MUST" else Severity.WARNING


def extension_checks(message: Message, profile_pack: str, context: Any) -> tuple[list[Finding], list[str]]:
    """The selected packs' hl7v2_checks and the registered rule functions that apply to `message`.

    A pack with its own `[data.hl7v2]` profile runs its checks on the messages judged on that profile; a pack
    without one (a region's additions) on every message its checks' message_types allow. A rule function
    (entry points enrs_harness.hl7v2_rules, keyed by requirement id) runs while its requirement is selected.
    """
    from harness.extension.registry import hl7v2_rule_functions

    packs = context.selected or list(context.registry.packs.values())
    findings: list[Finding] = []
    evaluated: list[str] = []
    for pack in packs:
        if pack.data.get("hl7v2") and pack.id != profile_pack:
            continue
        levels = {r.id: severity_of_level(r.level) for r in pack.requirements}
        more, ids = run_checks(message, checks_of(pack), levels.__getitem__)
        findings += more
        evaluated += ids
    active = {r.id: r.level for pack in packs for r in pack.requirements}
    for requirement, check in hl7v2_rule_functions().items():
        if requirement not in active:
            continue
        severity = severity_of_level(active[requirement])

        def fail(fr: str, en: str, where: str | None = None, line: int | None = None, requirement: str = requirement,
                 severity: Severity = severity) -> None:
            findings.append(Finding(requirement, severity, fr, en, where, line))

        check(message, fail)
        evaluated.append(requirement)
    return findings, evaluated
