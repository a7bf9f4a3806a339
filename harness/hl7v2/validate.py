"""Validation of one HL7 v2 message: tokenize, pick the event profile of the selected packs,
run the generic checks and the pack's rule module, and build the `ArtefactReport`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from harness.core.errors import HarnessError
from harness.core.fileio import sha256_hex
from harness.core.findings import ArtefactReport, Finding, Severity
from harness.core.verdicts import ArtefactVerdict
from harness.extension.registry import hl7v2_rule_module
from harness.hl7v2 import ids
from harness.hl7v2.checks import check_datatypes, check_field_rules, check_segment_usage, check_structure
from harness.hl7v2.declarative import extension_checks
from harness.hl7v2.message import Message, expected_received
from harness.hl7v2.profiles import CompiledProfile, EventProfile, base_event, profile_for_pack
from harness.hl7v2.registered import evaluated_by, evaluates
from harness.hl7v2.standard import SUPPORTED_VERSIONS
from harness.hl7v2.tokenizer import ParseError, parse

KIND = "hl7v2"
# What a parsed message and a message judged on its profile evaluate: the checks' registered ids (harness.hl7v2.registered)
# and those _validate judges itself (the version; the profile and message type chosen).
PARSING_IDS = [*evaluated_by(parse), ids.VERSION]
PROFILE_IDS = [ids.PROFILE, ids.MESSAGE_TYPE, *evaluated_by(check_structure, check_segment_usage, check_field_rules, check_datatypes)]


def _profiles(context: Any) -> list[CompiledProfile]:
    """Compiled profiles of the selected packs (every loaded pack when none was selected)."""
    selected = context.selected or list(context.registry.packs.values())
    return [p for p in (profile_for_pack(pack) for pack in selected) if p]


def declared_profiles(message: Message) -> list[tuple[str, str]]:
    """Every repetition of MSH-21 as (profile, version): MSH-21.2 namespace, MSH-21.1 entity id."""
    msh = message.msh
    pairs = [(message.component(raw, 2), message.component(raw, 1)) for raw in message.repetitions(msh, 21)]
    return [pair for pair in pairs if any(pair)]


def _requires_declaration(event: EventProfile) -> bool:
    return any(r.segment == "MSH" and r.field == 21 and r.usage == "R" for r in event.fields)


@dataclass
class Choice:
    profile: CompiledProfile | None = None
    event: EventProfile | None = None
    why: str | None = None  # "type", "trigger", "unsupported" or "undeclared" when no profile applies
    supported: list[str] = field(default_factory=list)  # with "unsupported"/"undeclared": what the packs know for this event


def choose(message: Message, context: Any) -> Choice:
    """The (profile, event) the message declares: MSH-9 names the event; among the packs that know it,
    MSH-21 (any repetition, profile and version) picks the one that implements what is declared. A pack
    without `declares` accepts any declaration; with no MSH-21 at all, the first pack knowing the event
    is used (its own MSH-21 rule then reports the missing declaration)."""
    code, trigger, _ = message.message_type
    selected = _profiles(context)
    declared = set(declared_profiles(message))
    for wanted in (f"{code}^{trigger}", f"{code}^*"):  # an exact entry first, then the pack's wildcard for the message type
        knowing = [p for p in selected if wanted in p.events]
        if not knowing:
            continue
        if not declared and len(knowing) > 1 and len([p for p in knowing if _requires_declaration(p.events[wanted])]) > 1:
            # several volets define the event and none is declared: which one applies is not said
            return Choice(why="undeclared", supported=sorted({s for p in knowing for s in p.supported()}))
        matching = [p for p in knowing if not declared or not p.declares or declared & set(p.declares)]
        if matching:
            return Choice(matching[0], matching[0].events[wanted])
        return Choice(why="unsupported", supported=sorted({s for p in knowing for s in p.supported()}))
    if any(code in {k.split("^")[0] for k in p.events} for p in selected):
        return Choice(why="trigger")
    return Choice(why="type")


def validate_message(data: bytes, path: str, context: Any) -> ArtefactReport:
    """Validate one HL7 v2 message; a requirement whose pack level is not MUST never gives an error (see `_within_level`)."""
    return _within_level(_validate(data, path, context), context)


def _within_level(report: ArtefactReport, context: Any) -> ArtefactReport:
    """The pack level bounds the severity the generic checks give: a SHOULD or MAY requirement's violation is a
    warning, whatever the code found (changing a level in the pack changes the verdict). The code may still judge
    less severely than the level (a tolerated LF terminator, an unknown Z segment: warnings)."""
    requirements = getattr(getattr(context, "registry", None), "requirements", {})
    lowered = [replace(f, severity=Severity.WARNING)
               if f.severity is Severity.ERROR and f.requirement in requirements and requirements[f.requirement].level != "MUST" else f
               for f in report.findings]
    if lowered != report.findings:
        report.findings = lowered
        if report.verdict is ArtefactVerdict.FAILED:
            failed = any(f.severity is Severity.ERROR for f in lowered) or any(c.verdict is ArtefactVerdict.FAILED for c in report.children)
            report.verdict = ArtefactVerdict.FAILED if failed else ArtefactVerdict.PASSED
    return report


@evaluates(ids.VERSION, ids.PROFILE, ids.MESSAGE_TYPE)
def _validate(data: bytes, path: str, context: Any) -> ArtefactReport:
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
    choice = choose(message, context)
    profile, event, why = choice.profile, choice.event, choice.why
    if why in ("unsupported", "undeclared"):
        return _judge_on_base(report, message, findings, evaluated, choice)
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
        findings.append(Finding(ids.MESSAGE_TYPE, Severity.ERROR,
                                *expected_received("MSH-9.3", structure, f"{event.structure} ({event.key})"), "MSH-9.3", 1))
    findings += check_structure(message, event)
    findings += check_segment_usage(message, event)
    findings += check_field_rules(message, event)
    findings += check_datatypes(message, version, profile.segment_types)
    evaluated += [r.requirement for r in event.segments.values()]
    evaluated += [r.requirement for r in event.fields if r.requirement and message.all(r.segment)]  # rules on segments present
    if profile.rules:
        rules = hl7v2_rule_module(profile.rules)  # entry points enrs_harness.hl7v2_rules
        more, more_ids, children = rules.check(message, event, profile, context, path)
        findings += more
        evaluated += more_ids
        report.children.extend(children)
    try:  # the packs' declarative hl7v2_checks and the registered rule functions
        more, more_ids = extension_checks(message, profile.pack_id, context)
    except HarnessError as exc:  # a third-party rule that failed (its plugin is named): the message is not judged
        report.findings, report.verdict, report.reason = findings, ArtefactVerdict.ABORTED, f"{exc.fr} / {exc.en}"
        return report
    findings += more
    evaluated += more_ids
    return _finish(report, findings, evaluated)


@evaluates(ids.PROFILE)
def _judge_on_base(report: ArtefactReport, message: Message, findings: list[Finding], evaluated: list[str],
                   choice: Choice) -> ArtefactReport:
    """The declared profile or version is not supported: one finding says so, and the message is judged
    only on what stays valid whatever the profile — HL7 syntax, the standard's structure and data types —
    never with another version's rules. No error there: ABORTED (the declared conformance was not judged)."""
    code, trigger, structure = message.message_type
    version = message.version
    shown = ", ".join(f"{p or '?'} {v or '?'}" for p, v in declared_profiles(message))
    supported = ", ".join(choice.supported) or "-"
    if choice.why == "undeclared":
        fr = f"MSH-21 ne déclare aucun profil, et plusieurs définissent {code}^{trigger} : {supported}"
        en = f"MSH-21 declares no profile, and several define {code}^{trigger}: {supported}"
    else:
        fr = f"profil déclaré (MSH-21) {shown} non pris en charge pour {code}^{trigger} ; pris en charge : {supported}"
        en = f"declared profile (MSH-21) {shown} not supported for {code}^{trigger}; supported: {supported}"
    findings.append(Finding(ids.PROFILE, Severity.WARNING, fr, en, "MSH-21", 1))
    evaluated.append(ids.PROFILE)
    base = base_event(version, structure or f"{code}_{trigger}")
    if base is not None:
        findings += check_structure(message, base, lenient=True)
        evaluated.append(ids.ORDER)
    findings += check_datatypes(message, version, {})
    evaluated += [ids.DATATYPE, ids.REPETITION]
    report.profile = f"HL7 {version} {structure or code + '^' + trigger} (base)"
    _finish(report, findings, evaluated)
    if report.verdict is ArtefactVerdict.PASSED:
        report.verdict, report.reason = ArtefactVerdict.ABORTED, f"{fr} / {en}"
    return report


def _finish(report: ArtefactReport, findings: list[Finding], evaluated: list[str]) -> ArtefactReport:
    report.findings = findings
    report.evaluated = list(dict.fromkeys(evaluated))
    failed = any(f.severity is Severity.ERROR for f in findings) or any(c.verdict is ArtefactVerdict.FAILED for c in report.children)
    report.verdict = ArtefactVerdict.FAILED if failed else ArtefactVerdict.PASSED
    return report
