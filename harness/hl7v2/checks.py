"""Generic checks of a tokenized message against a compiled event profile and the standard:
segment order, segment usage and cardinality, field rules of the pack, repetitions, number of
components and primitive formats of the standard's data types."""

from __future__ import annotations

import re

from harness.findings import Finding, Severity
from harness.hl7v2 import ids
from harness.hl7v2.message import Message, location
from harness.hl7v2.profiles import EventProfile, FieldRule
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


def check_structure(message: Message, event: EventProfile) -> list[Finding]:
    """Segment order against the structure's automaton; segments the structure does not know."""
    findings: list[Finding] = []
    automaton = event.automaton
    states = automaton.start
    reported = 0
    for segment in message.segments:
        if segment.name not in automaton.names:
            findings.append(_finding(ids.ORDER, f"segment {segment.name} inconnu de la structure {event.structure} (conservé, non interprété)",
                                     f"segment {segment.name} is not part of structure {event.structure} (kept, not interpreted)",
                                     segment.name, segment.line, Severity.WARNING))
            continue
        following = automaton.step(states, segment.name)
        if not following:
            if reported < MAX_ORDER_FINDINGS:
                expected = ", ".join(automaton.expected(states)) or "-"
                findings.append(_finding(ids.ORDER, f"segment {segment.name} inattendu à cette place dans {event.structure} (attendu : {expected})",
                                         f"segment {segment.name} not expected here in {event.structure} (expected: {expected})", segment.name, segment.line))
            reported += 1
            continue
        states = following
    if not reported and not automaton.accepts(states):
        expected = ", ".join(automaton.expected(states)) or "-"
        last = message.segments[-1]
        findings.append(_finding(ids.ORDER, f"message incomplet pour {event.structure} : attendu ensuite {expected}",
                                 f"message incomplete for {event.structure}: expected next {expected}", last.name, last.line))
    return findings


def check_segment_usage(message: Message, event: EventProfile) -> list[Finding]:
    findings: list[Finding] = []
    for name, rule in event.segments.items():
        present = message.all(name)
        if rule.usage == "R" and not present:
            findings.append(_finding(rule.requirement, f"segment {name} obligatoire (R) absent de {event.key}", f"required segment {name} (R) missing from {event.key}", name, None))
        elif rule.usage == "X" and present:
            findings.append(_finding(rule.requirement, f"segment {name} interdit (X) dans {event.key}", f"segment {name} not supported (X) in {event.key}", name, present[0].line))
        if rule.max >= 0 and len(present) > rule.max:
            findings.append(_finding(rule.requirement, f"segment {name} présent {len(present)} fois (maximum {rule.max})",
                                     f"segment {name} present {len(present)} times (maximum {rule.max})", name, present[rule.max].line))
    return findings


def _targets(message: Message, rule: FieldRule, raw_rep: str) -> str:
    if rule.comp is None:
        return message.component(raw_rep, 1) if message.delimiters.component not in raw_rep and message.delimiters.subcomponent not in raw_rep else raw_rep.strip()
    return message.component(raw_rep, rule.comp, rule.sub)


def check_field_rules(message: Message, event: EventProfile) -> list[Finding]:
    """The pack's rules on fields and components: usage R/X, allowed values, length, repetitions."""
    findings: list[Finding] = []
    for rule in event.fields:
        for segment in message.all(rule.segment):
            where = location(rule.segment, rule.field, None, rule.comp, rule.sub)
            reps = message.repetitions(segment, rule.field)
            if rule.usage == "X" and reps:
                findings.append(_finding(rule.requirement or ids.FIELD_USAGE, f"{where} ne doit pas être renseigné (X)", f"{where} must not be valued (X)", where, segment.line, rule.severity))
                continue
            if rule.max_reps is not None and len(reps) > rule.max_reps:
                findings.append(_finding(rule.requirement or ids.REPETITION, f"{where} : {len(reps)} répétitions (maximum {rule.max_reps})",
                                         f"{where}: {len(reps)} repetitions (maximum {rule.max_reps})", where, segment.line, rule.severity))
            values = [_targets(message, rule, raw) for raw in reps]
            if rule.usage == "R" and not any(values):
                findings.append(_finding(rule.requirement or ids.FIELD_USAGE, f"{where} obligatoire (R) non renseigné", f"required {where} (R) is empty", where, segment.line, rule.severity))
                continue
            present = [(index, value) for index, value in enumerate(values, start=1) if value]
            if rule.length is not None:
                for index, value in present:
                    if len(value) > rule.length:
                        at = location(rule.segment, rule.field, index if len(reps) > 1 else None, rule.comp, rule.sub)
                        findings.append(_finding(rule.requirement or ids.LENGTH, f"{at} : longueur {len(value)} > {rule.length}", f"{at}: length {len(value)} > {rule.length}", at, segment.line, rule.severity))
            if rule.values is not None and present:
                allowed = {v.upper() for v in rule.values} if rule.ignore_case else rule.values
                ok = [(i, v) for i, v in present if (v.upper() if rule.ignore_case else v) in allowed]
                if rule.match == "any":
                    if not ok:
                        shown = ", ".join(v for _, v in present)
                        findings.append(_finding(rule.requirement or ids.VALUESET, f"{where} : aucune répétition parmi les valeurs attendues ({shown})",
                                                 f"{where}: no repetition holds an expected value ({shown})", where, segment.line, rule.severity))
                else:
                    for index, value in present:
                        if (index, value) not in ok:
                            at = location(rule.segment, rule.field, index if len(reps) > 1 else None, rule.comp, rule.sub)
                            name = f" ({rule.valueset_name})" if rule.valueset_name else ""
                            findings.append(_finding(rule.requirement or ids.VALUESET, f"{at} : valeur « {value} » hors des valeurs permises{name}",
                                                     f"{at}: value '{value}' not among the allowed values{name}", at, segment.line, rule.severity))
    return findings


def check_datatypes(message: Message, version: str, extra_types: dict[str, list[str]]) -> list[Finding]:
    """Standard (or pack-declared) field definitions: repetitions, components, primitive formats."""
    findings: list[Finding] = []
    d = message.delimiters
    for segment in message.segments:
        definitions = segment_fields(version, segment.name)
        declared = extra_types.get(segment.name) if not definitions else None
        first = 3 if segment.name == "MSH" else 1
        for number in range(first, len(segment.fields)):
            raw = segment.fields[number]
            if not raw:
                continue
            if definitions:
                definition = definitions.get(number)
                if definition is None:
                    findings.append(_finding(ids.DATATYPE, f"{segment.name}-{number} n'existe pas en HL7 {version}", f"{segment.name}-{number} does not exist in HL7 {version}",
                                             location(segment.name, number), segment.line))
                    continue
                datatype, max_reps = definition.datatype, definition.max
            elif declared is not None:
                if number > len(declared):
                    findings.append(_finding(ids.DATATYPE, f"{segment.name}-{number} n'est pas défini par le profil", f"{segment.name}-{number} is not defined by the profile",
                                             location(segment.name, number), segment.line))
                    continue
                datatype, max_reps = declared[number - 1].rstrip("*"), (-1 if declared[number - 1].endswith("*") else 1)
            else:
                break  # unknown segment: kept, nothing to check its fields against
            reps = raw.split(d.repetition) if d.repetition in raw else [raw]
            if max_reps != -1 and len(reps) > max_reps:
                findings.append(_finding(ids.REPETITION, f"{segment.name}-{number} : {len(reps)} répétitions, le champ n'en admet que {max_reps}",
                                         f"{segment.name}-{number}: {len(reps)} repetitions, the field allows {max_reps}", location(segment.name, number), segment.line))
            if datatype == "varies":
                continue
            components = datatype_components(version, datatype)
            for rep_index, rep in enumerate(reps, start=1):
                rep_at = rep_index if len(reps) > 1 else None
                comps = rep.split(d.component) if d.component in rep else [rep]
                if components and len(comps) > len(components):
                    findings.append(_finding(ids.DATATYPE, f"{location(segment.name, number, rep_at)} : {len(comps)} composants, {datatype} n'en a que {len(components)}",
                                             f"{location(segment.name, number, rep_at)}: {len(comps)} components, {datatype} has {len(components)}", location(segment.name, number, rep_at), segment.line))
                elif not components and len(comps) > 1 and datatype not in ("TX", "FT"):
                    findings.append(_finding(ids.DATATYPE, f"{location(segment.name, number, rep_at)} : le type {datatype} n'a pas de composants",
                                             f"{location(segment.name, number, rep_at)}: data type {datatype} has no components", location(segment.name, number, rep_at), segment.line))
                    continue
                types = components or (datatype,)
                for comp_index, (value, comp_type) in enumerate(zip(comps, types), start=1):
                    comp_type = _COMPOSITE_FIRST.get(comp_type, comp_type) if comp_type in _COMPOSITE_FIRST and d.subcomponent not in value else comp_type
                    pattern = _FORMATS.get(comp_type)
                    if pattern is None or not value:
                        continue
                    text = value.strip()
                    if text and not pattern.match(text):
                        at = location(segment.name, number, rep_at, comp_index if components else None)
                        findings.append(_finding(ids.DATATYPE, f"{at} : « {text[:40]} » n'est pas un {comp_type} valide", f"{at}: '{text[:40]}' is not a valid {comp_type}", at, segment.line))
    return findings
