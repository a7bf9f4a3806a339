"""Validation of one HL7 v2 message: tokenize, pick the event profile of the selected packs,
run the generic checks and the pack's rule module, and build the `ArtefactReport`."""

from __future__ import annotations

import importlib
from typing import Any

from harness.fileio import sha256_hex
from harness.findings import ArtefactReport, Finding, Severity
from harness.hl7v2 import ids
from harness.hl7v2.checks import check_datatypes, check_field_rules, check_segment_usage, check_structure
from harness.hl7v2.message import Message
from harness.hl7v2.profiles import CompiledProfile, EventProfile, profile_for_pack
from harness.hl7v2.standard import SUPPORTED_VERSIONS
from harness.hl7v2.tokenizer import ParseError, parse
from harness.verdicts import ArtefactVerdict

KIND = "hl7v2"
PARSING_IDS = [ids.SYNTAX, ids.TERMINATOR, ids.SEGMENT_ID, ids.MLLP, ids.ESCAPE, ids.CHARSET, ids.VERSION]
PROFILE_IDS = [ids.MESSAGE_TYPE, ids.ORDER, ids.SEGMENT_USAGE, ids.FIELD_USAGE, ids.REPETITION, ids.LENGTH, ids.DATATYPE, ids.VALUESET]


def _profiles(context: Any) -> list[CompiledProfile]:
    """Compiled profiles of the selected packs (every loaded pack when none was selected)."""
    selected = context.selected or list(context.registry.packs.values())
    return [p for p in (profile_for_pack(pack) for pack in selected) if p]


def _msh21_ids(message: Message) -> set[str]:
    msh = message.msh
    return ({message.component(raw, 2) for raw in message.repetitions(msh, 21)}
            | {message.component(raw, 1) for raw in message.repetitions(msh, 21)})


def choose(message: Message, context: Any) -> tuple[CompiledProfile | None, EventProfile | None, str | None]:
    """The (profile, event) for the message's MSH-9, or a reason why none applies."""
    code, trigger, _ = message.message_type
    key = f"{code}^{trigger}"
    selected = _profiles(context)
    for wanted in (key, f"{code}^*"):  # an exact entry first, then the pack's wildcard for the message type
        matching = [p for p in selected if wanted in p.events]
        if len(matching) > 1:  # several packs know the event: MSH-21 decides
            declared = _msh21_ids(message)
            matching = [p for p in matching if declared & set(p.data.get("profile_ids", ()))] or matching
        if matching:
            return matching[0], matching[0].events[wanted], None
    if any(code in {k.split("^")[0] for k in p.events} for p in selected):
        return None, None, "trigger"
    return None, None, "type"


def validate_message(data: bytes, path: str, context: Any) -> ArtefactReport:
    report = ArtefactReport(path=path, sha256=sha256_hex(data), size=len(data), kind=KIND, verdict=ArtefactVerdict.PASSED)
    try:
        message, findings = parse(data)
    except ParseError as exc:
        if exc.aborted:
            report.verdict, report.reason = ArtefactVerdict.ABORTED, f"{exc.fr} / {exc.en}"
            return report
        report.findings, report.evaluated, report.verdict = [exc.finding()], [ids.SYNTAX], ArtefactVerdict.FAILED
        return report
    evaluated: list[str] = list(PARSING_IDS)
    version = message.version
    report.version = message.value(message.msh, 12).strip() or None
    code, trigger, structure = message.message_type
    report.profile = "^".join(x for x in (code, trigger, structure) if x) or None
    if version not in SUPPORTED_VERSIONS:
        findings.append(Finding(ids.VERSION, Severity.ERROR, f"version HL7 « {version} » non prise en charge (2.5, 2.5.1, 2.6)",
                                f"HL7 version '{version}' not supported (2.5, 2.5.1, 2.6)", "MSH-12", 1))
        return _finish(report, findings, evaluated)
    profile, event, why = choose(message, context)
    if profile is None or event is None:
        if why == "type":
            report.findings = findings
            report.verdict = ArtefactVerdict.ABORTED
            report.reason = (f"aucun profil sélectionné pour le type de message {code or '?'} / no selected profile for message type "
                             f"{code or '?'}")
            return report
        evaluated.append(ids.MESSAGE_TYPE)
        findings.append(Finding(ids.MESSAGE_TYPE, Severity.ERROR, f"événement {code}^{trigger} non défini par les profils sélectionnés",
                                f"event {code}^{trigger} not defined by the selected profiles", "MSH-9", 1))
        return _finish(report, findings, evaluated)
    report.profile = f"{profile.pack_id} {event.key}"
    evaluated.extend(PROFILE_IDS)
    if structure and structure != event.structure:
        findings.append(Finding(
            ids.MESSAGE_TYPE, Severity.ERROR, f"MSH-9.3 « {structure} » : la structure de {event.key} est {event.structure}",
            f"MSH-9.3 '{structure}': the structure of {event.key} is {event.structure}", "MSH-9.3", 1))
    findings += check_structure(message, event)
    findings += check_segment_usage(message, event)
    findings += check_field_rules(message, event)
    findings += check_datatypes(message, version, profile.segment_types)
    evaluated += [r.requirement for r in event.segments.values()]
    evaluated += [r.requirement for r in event.fields if r.requirement and message.all(r.segment)]  # rules on segments present
    if profile.rules:
        rules = importlib.import_module(f"harness.hl7v2.rules_{profile.rules}")
        more, more_ids, children = rules.check(message, event, profile, context, path)
        findings += more
        evaluated += more_ids
        report.children.extend(children)
    return _finish(report, findings, evaluated)


def _finish(report: ArtefactReport, findings: list[Finding], evaluated: list[str]) -> ArtefactReport:
    report.findings = findings
    report.evaluated = list(dict.fromkeys(evaluated))
    failed = any(f.severity is Severity.ERROR for f in findings) or any(c.verdict is ArtefactVerdict.FAILED for c in report.children)
    report.verdict = ArtefactVerdict.FAILED if failed else ArtefactVerdict.PASSED
    return report
