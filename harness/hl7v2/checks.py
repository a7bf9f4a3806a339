"""Generic checks of a tokenized message against a compiled event profile and the standard:
segment order, segment usage and cardinality, field rules of the pack, repetitions, number of
components and primitive formats of the standard's data types."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from harness.core.findings import Finding, Severity
from harness.hl7v2 import ids
from harness.hl7v2.message import Message, Segment, expected_received, location, unescape
from harness.hl7v2.profiles import EventProfile, FieldRule
from harness.hl7v2.registered import evaluates
from harness.hl7v2.standard import datatype_components, segment_fields

_FORMATS = {
    "DT": re.compile(r"^\d{4}(\d{2}(\d{2})?)?$"),
    "DTM": re.compile(r"^\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2}(\.\d{1,4})?)?)?)?)?)?([+-]\d{4})?$"),
    "NM": re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$"),
    "SI": re.compile(r"^\d+$"),
}
_COMPOSITE_FIRST = {"TS": "DTM"}  # 2.5's TS is composite: its first component is a DTM
MAX_ORDER_FINDINGS = 5


def _finding(requirement: str, fr: str, en: str, where: str, line: int | None, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(requirement, severity, fr, en, where, line)


@evaluates(ids.ORDER)
def check_structure(message: Message, event: EventProfile, lenient: bool = False) -> list[Finding]:
    """Segment order against the structure's automaton, each problem reported once where it is.

    A segment that cannot come here but can come later means the segments expected before it are
    missing: matching resumes after it (no cascade), and the missing segments are reported once —
    by their usage rule when the profile requires them (HL7V2-STR-02 or the pack's id), else here.
    A segment the structure does not know is an error (a warning for Z-segments; information only
    when `lenient`: the declared profile, not supported, may define it)."""
    findings: list[Finding] = []
    automaton = event.automaton
    states = automaton.start
    reported = 0

    pending: list[tuple[Segment, list[str], set[str]]] = []  # segments read by skipping expected ones that come later

    def required_absent(names: list[str]) -> bool:
        return any(not message.all(n) and (rule := event.segments.get(n)) is not None and rule.usage == "R" for n in names)

    def report(segment: Segment, expected: list[str], skipped: bool) -> None:
        nonlocal reported
        if reported < MAX_ORDER_FINDINGS:
            shown = ", ".join(expected) or "-"
            if skipped:
                fr, en = (f"segment {segment.name} : segment(s) attendu(s) avant lui absent(s) ({shown})",
                          f"segment {segment.name}: segment(s) expected before it missing ({shown})")
            else:
                fr, en = (f"segment {segment.name} inattendu à cette place dans {event.structure} (attendu : {shown})",
                          f"segment {segment.name} not expected here in {event.structure} (expected: {shown})")
            findings.append(_finding(ids.ORDER, fr, en, segment.name, segment.line))
        reported += 1

    for index, segment in enumerate(message.segments):
        if segment.name not in automaton.names:
            severity = Severity.INFO if lenient else Severity.WARNING if segment.name.startswith("Z") else Severity.ERROR
            findings.append(_finding(ids.ORDER, f"segment {segment.name} inconnu de la structure {event.structure}",
                                     f"segment {segment.name} is not part of structure {event.structure}", segment.name, segment.line,
                                     severity))
            continue
        following = automaton.step(states, segment.name)
        if following:
            states = following
            continue
        expected = automaton.expected(states)
        later = automaton.skip_to(states, segment.name)
        if later:
            states = later
            if required_absent(expected):
                continue  # missing: reported by its usage rule
            coming = {s.name for s in message.segments[index + 1:]} & set(expected)
            if coming:  # probably misplaced: reported where it stands, unless it fits there after all
                pending.append((segment, expected, coming))
                continue
        elif any(segment.name in names for _, _, names in pending):
            pending = [p for p in pending if segment.name not in p[2]]  # the misplaced segment, reported here once
        report(segment, expected, skipped=bool(later))
    for segment, expected, _ in pending:  # the segments expected there never showed up out of place: they are missing
        report(segment, expected, skipped=True)
    if not reported and not automaton.accepts(states) and not required_absent(automaton.expected(states)):
        expected_next = ", ".join(automaton.expected(states)) or "-"
        last = message.segments[-1]
        findings.append(_finding(ids.ORDER, f"message incomplet pour {event.structure} : attendu ensuite {expected_next}",
                                 f"message incomplete for {event.structure}: expected next {expected_next}", last.name, last.line))
    return findings


@evaluates(ids.SEGMENT_USAGE)  # and the requirement a pack's segment rule names
def check_segment_usage(message: Message, event: EventProfile) -> list[Finding]:
    findings: list[Finding] = []
    for name, rule in event.segments.items():
        present = message.all(name)
        if rule.usage == "R" and not present:
            findings.append(_finding(rule.requirement, f"segment {name} obligatoire (R) absent de {event.key}",
                                     f"required segment {name} (R) missing from {event.key}", name, None))
        elif rule.usage == "X" and present:
            findings.append(_finding(rule.requirement, f"segment {name} interdit (X) dans {event.key}",
                                     f"segment {name} not supported (X) in {event.key}", name, present[0].line))
        if rule.max >= 0 and len(present) > rule.max:
            findings.append(_finding(rule.requirement, f"segment {name} présent {len(present)} fois (maximum {rule.max})",
                                     f"segment {name} present {len(present)} times (maximum {rule.max})", name, present[rule.max].line))
    return findings


def _target(message: Message, segment: Segment, rule: FieldRule, rep: int, raw_rep: str) -> str:
    """The value a rule looks at in one repetition: the component (or subcomponent), or the whole
    repetition when the rule names a field (its first component when it has no separators)."""
    d = message.delimiters
    if rule.comp is None:
        if d.component not in raw_rep and d.subcomponent not in raw_rep:
            return unescape(raw_rep, d).strip()
        return raw_rep.strip()
    return message.value(segment, rule.field, rep, rule.comp, rule.sub).strip()


@evaluates(ids.FIELD_USAGE, ids.REPETITION, ids.LENGTH, ids.VALUESET)  # and the requirement a pack's field rule names
def check_field_rules(message: Message, event: EventProfile) -> list[Finding]:
    """The pack's rules on fields and components: usage R/X, allowed values, length, repetitions."""
    findings: list[Finding] = []
    for rule in event.fields:
        for segment in message.all(rule.segment):
            where = location(rule.segment, rule.field, None, rule.comp, rule.sub)
            reps = message.repetitions(segment, rule.field)
            if rule.usage == "X" and reps:
                findings.append(_finding(rule.requirement or ids.FIELD_USAGE, f"{where} ne doit pas être renseigné (X)",
                                         f"{where} must not be valued (X)", where, segment.line, rule.severity))
                continue
            if rule.max_reps is not None and len(reps) > rule.max_reps:
                findings.append(_finding(rule.requirement or ids.REPETITION, f"{where} : {len(reps)} répétitions (maximum {rule.max_reps})",
                                         f"{where}: {len(reps)} repetitions (maximum {rule.max_reps})", where, segment.line, rule.severity))
            values = [_target(message, segment, rule, index, raw) for index, raw in enumerate(reps, start=1)]
            if rule.usage == "R" and not any(values):
                findings.append(_finding(rule.requirement or ids.FIELD_USAGE, f"{where} obligatoire (R) non renseigné",
                                         f"required {where} (R) is empty", where, segment.line, rule.severity))
                continue
            present = [(index, value) for index, value in enumerate(values, start=1) if value]
            if rule.length is not None:
                for index, value in present:
                    if len(value) > rule.length:
                        at = location(rule.segment, rule.field, index if len(reps) > 1 else None, rule.comp, rule.sub)
                        findings.append(_finding(rule.requirement or ids.LENGTH, f"{at} : longueur {len(value)} > {rule.length}",
                                                 f"{at}: length {len(value)} > {rule.length}", at, segment.line, rule.severity))
            if rule.values is not None and present:
                allowed = {v.upper() for v in rule.values} if rule.ignore_case else rule.values
                ok = [(i, v) for i, v in present if (v.upper() if rule.ignore_case else v) in allowed]
                if rule.match == "any":
                    if not ok:
                        fr, en = expected_received(where, "~".join(v for _, v in present), sorted(rule.values))
                        findings.append(_finding(rule.requirement or ids.VALUESET, f"{fr} (aucune répétition ne convient)",
                                                 f"{en} (no repetition matches)",
                                                 where, segment.line, rule.severity))
                else:
                    for index, value in present:
                        if (index, value) not in ok:
                            at = location(rule.segment, rule.field, index if len(reps) > 1 else None, rule.comp, rule.sub)
                            large = rule.valueset_name and len(rule.values) > 12  # a large table is named, not listed
                            fr, en = expected_received(at, value, f"{rule.valueset_name} ({len(rule.values)} codes)" if large
                                                       else rule.values)
                            findings.append(_finding(rule.requirement or ids.VALUESET, fr, en, at, segment.line, rule.severity))
    return findings


@dataclass(frozen=True, slots=True)
class _FieldPlan:
    datatype: str
    max_reps: int  # -1: unbounded
    components: int  # 0 for a primitive
    formats: tuple[tuple[int, re.Pattern[str], str, bool], ...]  # (component index, pattern, type, on first subcomponent)


@cache
def _plans(version: str, segment: str, declared: tuple[str, ...] | None) -> dict[int, _FieldPlan] | None:
    """Per field of a segment: what check_datatypes verifies, compiled once per version and segment."""
    definitions = segment_fields(version, segment)
    if definitions:
        fields = {n: (d.datatype, d.max) for n, d in definitions.items()}
    elif declared is not None:
        fields = {i: (t.rstrip("*"), -1 if t.endswith("*") else 1) for i, t in enumerate(declared, start=1)}
    else:
        return None
    plans: dict[int, _FieldPlan] = {}
    for number, (datatype, max_reps) in fields.items():
        components = datatype_components(version, datatype) if datatype != "varies" else ()
        types = components or (datatype,)
        formats = []
        for index, kind in enumerate(types):
            on_sub = kind in _COMPOSITE_FIRST and bool(components)
            name = _COMPOSITE_FIRST.get(kind, kind) if on_sub else kind
            if name in _FORMATS:
                formats.append((index, _FORMATS[name], name, on_sub))
        plans[number] = _FieldPlan(datatype, max_reps, len(components), tuple(formats))
    return plans


@evaluates(ids.DATATYPE, ids.REPETITION)
def check_datatypes(message: Message, version: str, extra_types: dict[str, list[str]]) -> list[Finding]:
    """Standard (or pack-declared) field definitions: repetitions, components, primitive formats."""
    findings: list[Finding] = []
    d = message.delimiters
    for segment in message.segments:
        declared = extra_types.get(segment.name)
        plans = _plans(version, segment.name, tuple(declared) if declared else None)
        if plans is None:
            continue  # unknown segment: kept, nothing to check its fields against
        first = 3 if segment.name == "MSH" else 1
        for number in range(first, len(segment.fields)):
            raw = segment.fields[number]
            if not raw:
                continue
            plan = plans.get(number)
            if plan is None:
                where = location(segment.name, number)
                findings.append(_finding(ids.DATATYPE, f"{where} n'est défini ni par HL7 {version} ni par le profil",
                                         f"{where} is defined neither by HL7 {version} nor by the profile", where, segment.line))
                continue
            reps = raw.split(d.repetition) if d.repetition in raw else (raw,)
            if plan.max_reps != -1 and len(reps) > plan.max_reps:
                findings.append(_finding(
                    ids.REPETITION, f"{segment.name}-{number} : {len(reps)} répétitions, le champ n'en admet que {plan.max_reps}",
                    f"{segment.name}-{number}: {len(reps)} repetitions, the field allows {plan.max_reps}",
                    location(segment.name, number), segment.line))
            if plan.datatype == "varies":
                continue
            for rep_index, rep in enumerate(reps, start=1):
                comps = rep.split(d.component) if d.component in rep else (rep,)
                if len(comps) > 1 and (len(comps) > plan.components) and plan.datatype not in ("TX", "FT"):
                    at = location(segment.name, number, rep_index if len(reps) > 1 else None)
                    if plan.components:
                        findings.append(_finding(
                            ids.DATATYPE, f"{at} : {len(comps)} composants, {plan.datatype} n'en a que {plan.components}",
                            f"{at}: {len(comps)} components, {plan.datatype} has {plan.components}", at, segment.line))
                    else:
                        findings.append(_finding(ids.DATATYPE, f"{at} : le type {plan.datatype} n'a pas de composants",
                                                 f"{at}: data type {plan.datatype} has no components", at, segment.line))
                        continue
                for index, pattern, name, on_sub in plan.formats:
                    if index >= len(comps) or not comps[index]:
                        continue
                    text = (comps[index].split(d.subcomponent)[0] if on_sub else comps[index]).strip()
                    if text and not pattern.match(text):
                        at = location(segment.name, number, rep_index if len(reps) > 1 else None, index + 1 if plan.components else None)
                        findings.append(_finding(ids.DATATYPE, f"{at} : « {text[:40]} » n'est pas un {name} valide",
                                                 f"{at}: '{text[:40]}' is not a valid {name}", at, segment.line))
    return findings
