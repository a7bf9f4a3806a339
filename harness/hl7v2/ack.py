"""Acknowledgements: what a receiver must answer to a message, and whether a received ACK is right.

Two functions, used by the reference simulator (to answer) and by the endpoint suites (to judge):

`expected_ack(message, report=None, *, control_id=None, timestamp=None) -> bytes`
    The correct ACK for `message` (bytes as received, or a tokenized `Message`), given the
    validation `report` of that message (None: assume it is acceptable). MSA-1 is AA when the
    report PASSED, AE when it FAILED on content (with one ERR per error finding, up to 10:
    ERR-2 location, ERR-3 table 0357 code, ERR-4 severity E), AR when the message cannot be
    processed at all (unreadable, unsupported version or message type: ERR-3 200/201/203/207).
    In enhanced mode (MSH-15 valued) the codes are CA/CE/CR. MSA-2 echoes MSH-10. The header is
    derived: MSH-3/4 ↔ MSH-5/6 swapped, MSH-11, MSH-12, MSH-17, MSH-18 copied, MSH-9 =
    ACK^<trigger>^ACK. Segments end with CR; frame it with `harness.net.mllp.frame` to send.

`expected_code(report, enhanced=False) -> str`
    Just the MSA-1 code for a validation report.

`judge_ack(sent, received, expected=None) -> list[Finding]`
    Findings (requirement ids HL7V2-ACK-01…04 of the `hl7v2-base` pack) for a received ACK:
    readable, MSH-9 ACK^<sent trigger>^ACK, header derived from the sent message, MSA-1 a valid
    code (and, when `expected` is given — a code or a set of codes — one of them), MSA-2 = sent
    MSH-10, ERR with ERR-3 and ERR-4 (and ERR-2, a warning when absent) when MSA-1 is AE/AR/CE/CR.
    An empty list means the ACK is right.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from harness.core.findings import ArtefactReport, Finding, Severity
from harness.core.verdicts import ArtefactVerdict
from harness.hl7v2 import ids
from harness.hl7v2.message import Delimiters, Message, expected_received
from harness.hl7v2.registered import evaluates
from harness.hl7v2.tokenizer import ParseError, parse

ORIGINAL_CODES = ("AA", "AE", "AR")
ENHANCED_CODES = ("CA", "CE", "CR")
ERROR_SEVERITIES = ("E", "F", "I", "W")  # HL7 table 0516
MAX_ERR = 10
# HL7 table 0357 (message error condition codes) for the harness's requirement ids.
ERROR_CODES = {
    ids.ORDER: ("100", "Segment sequence error"), ids.SEGMENT_USAGE: ("100", "Segment sequence error"),
    ids.FIELD_USAGE: ("101", "Required field missing"), ids.DATATYPE: ("102", "Data type error"),
    ids.LENGTH: ("102", "Data type error"), ids.REPETITION: ("102", "Data type error"), ids.VALUESET: ("103", "Table value not found"),
    ids.MESSAGE_TYPE: ("200", "Unsupported message type"), ids.VERSION: ("203", "Unsupported version id"),
}
REJECTING = {ids.SYNTAX, ids.VERSION, ids.MESSAGE_TYPE, ids.CHARSET}
_LOCATION = re.compile(r"^([A-Z][A-Z0-9]{2})(?:-(\d+)(?:\[(\d+)\])?(?:\.(\d+)(?:\.(\d+))?)?)?")


def _as_message(message: bytes | Message) -> Message | None:
    if isinstance(message, Message):
        return message
    try:
        return parse(message)[0]
    except ParseError:
        return None


def _enhanced(message: Message | None) -> bool:
    return message is not None and bool(message.value(message.msh, 15).strip())


def expected_code(report: ArtefactReport | None, enhanced: bool = False) -> str:
    codes = ENHANCED_CODES if enhanced else ORIGINAL_CODES
    if report is None or report.verdict is ArtefactVerdict.PASSED:
        return codes[0]
    errors = [f for f in report.all_findings() if f.severity is Severity.ERROR]
    if report.verdict is ArtefactVerdict.ABORTED or any(f.requirement in REJECTING for f in errors):
        return codes[2]
    return codes[1]


def erl(location: str | None) -> str:
    """`PID-3[2].4.2` → ERL `PID^1^3^2^4^2` (segment, sequence, field, repetition, component, sub)."""
    match = _LOCATION.match(location or "")
    if not match:
        return ""
    segment, field, rep, comp, sub = match.groups()
    parts = [segment, "1", field or "", rep or ("1" if field else ""), comp or "", sub or ""]
    return "^".join(parts).rstrip("^")


def _escape(text: str, message: Message | None) -> str:
    d = message.delimiters if message else None
    if d is None:
        return re.sub(r"[|^~\\&]", " ", text)
    for char in (d.escape, d.field, d.component, d.repetition, d.subcomponent):
        text = text.replace(char, " ")
    return text


def expected_ack(message: bytes | Message, report: ArtefactReport | None = None, *,
                 control_id: str | None = None, timestamp: str | None = None) -> bytes:
    parsed = _as_message(message)
    if report is None and parsed is None:
        report = ArtefactReport(path="", sha256="", kind="hl7v2", verdict=ArtefactVerdict.ABORTED)
    code = expected_code(report, _enhanced(parsed))
    now = timestamp or datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    if parsed is not None:
        v = parsed.value
        msh = parsed.msh
        trigger = parsed.message_type[1]
        header = ["MSH", "^~\\&", msh.raw(5), msh.raw(6), msh.raw(3), msh.raw(4), now, "", f"ACK^{trigger}^ACK" if trigger else "ACK",
                  control_id or f"ACK{parsed.control_id}"[:20], msh.raw(11), msh.raw(12), "", "", "", "", msh.raw(17), msh.raw(18)]
        echo = v(msh, 10).strip()
        if parsed.delimiters != Delimiters():  # the ACK uses the standard delimiters: copy first components only
            header[2:6] = [v(msh, 5, 1, 1), v(msh, 6, 1, 1), v(msh, 3, 1, 1), v(msh, 4, 1, 1)]
            header[10:12] = [v(msh, 11, 1, 1), v(msh, 12, 1, 1)]
    else:
        header = ["MSH", "^~\\&", "", "", "", "", now, "", "ACK", control_id or "ACK", "P", "2.5"]
        echo = ""
    segments = ["|".join(header).rstrip("|"), f"MSA|{code}|{echo}"]
    if code not in ("AA", "CA") and report is not None:
        errors = [f for f in report.all_findings() if f.severity is Severity.ERROR][:MAX_ERR]
        if not errors:  # rejected without an error: an unsupported declared profile says why, else the reason
            reason = report.reason or "message illisible / unreadable message"
            errors = [f for f in report.findings if f.requirement == ids.PROFILE] or [Finding(ids.SYNTAX, Severity.ERROR, reason, reason)]
        for finding in errors:
            number, text = ERROR_CODES.get(finding.requirement, ("207", "Application internal error"))
            if finding.requirement == ids.MESSAGE_TYPE and finding.message_en.startswith("event"):
                number, text = "201", "Unsupported event code"
            detail = _escape(f"{finding.requirement} {finding.message_en}", parsed)[:200]
            segments.append(f"ERR||{erl(finding.location)}|{number}^{text}^HL70357|E||||{detail}")
    return ("\r".join(segments) + "\r").encode("utf-8")


def _f(requirement: str, fr: str, en: str, where: str | None, severity: Severity = Severity.ERROR, line: int | None = None) -> Finding:
    return Finding(requirement, severity, fr, en, where, line)


@evaluates(ids.ACK_ERR, ids.ACK_HEADER)
def check_ack_document(ack: Message) -> list[Finding]:
    """What an ACK shows on its own (the validator's part of HL7V2-ACK-03/04): MSH-9 = ACK^<trigger>^ACK,
    and ERR segments with ERR-3 and ERR-4 when MSA-1 is AE/AR/CE/CR. `judge_ack` checks the rest
    against the sent message."""
    findings: list[Finding] = []
    v = ack.value
    code, trigger, structure = ack.message_type
    if code != "ACK" or not trigger or structure != "ACK":
        findings.append(_f(ids.ACK_HEADER, *expected_received("MSH-9", f"{code}^{trigger}^{structure}", "ACK^<event>^ACK"), "MSH-9",
                           line=1))
    msa = ack.first("MSA")
    answer = v(msa, 1).strip()
    if answer in ("AE", "AR", "CE", "CR"):
        errs = ack.all("ERR")
        if not errs:
            findings.append(_f(ids.ACK_ERR, f"MSA-1 = {answer} sans segment ERR",
                               f"MSA-1 = {answer} without an ERR segment", "ERR", line=msa.line if msa else None))
        for err in errs:
            if not v(err, 3, 1, 1).strip():
                findings.append(_f(ids.ACK_ERR, "ERR-3 (code d'erreur, table 0357) absent",
                                   "ERR-3 (error code, table 0357) missing", "ERR-3", line=err.line))
            if v(err, 4).strip() not in ERROR_SEVERITIES:
                findings.append(_f(ids.ACK_ERR, *expected_received("ERR-4", v(err, 4).strip(), "E, F, I, W (table 0516)"), "ERR-4",
                                   line=err.line))
    return findings


@evaluates(ids.ACK_CODE, ids.ACK_ECHO, ids.ACK_ERR, ids.ACK_HEADER)
def judge_ack(sent: bytes | Message, received: bytes, expected: str | set[str] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    original = _as_message(sent)
    try:
        ack, _ = parse(received)
    except ParseError as exc:
        return [_f(ids.ACK_CODE, f"acquittement illisible : {exc.fr}", f"unreadable acknowledgement: {exc.en}", "MSH")]
    v = ack.value
    msh, msa = ack.msh, ack.first("MSA")
    code, trigger, structure = ack.message_type
    if code != "ACK":
        findings.append(_f(ids.ACK_HEADER, *expected_received("MSH-9.1", code, "ACK"), "MSH-9.1"))
    if original is not None:
        o = original.value
        omsh = original.msh
        sent_trigger = original.message_type[1]
        if sent_trigger and trigger != sent_trigger:
            findings.append(_f(ids.ACK_HEADER, *expected_received("MSH-9.2", trigger, sent_trigger), "MSH-9.2"))
        if structure and structure != "ACK":
            findings.append(_f(ids.ACK_HEADER, *expected_received("MSH-9.3", structure, "ACK"), "MSH-9.3"))
        for mine, theirs in ((3, 5), (4, 6), (5, 3), (6, 4)):
            if v(msh, mine, 1, 1).strip() != o(omsh, theirs, 1, 1).strip():
                findings.append(_f(ids.ACK_HEADER, f"MSH-{mine} de l'ACK ≠ MSH-{theirs} du message",
                                   f"ACK MSH-{mine} ≠ message MSH-{theirs}", f"MSH-{mine}"))
        for number in (11, 12):
            if v(msh, number, 1, 1).strip() != o(omsh, number, 1, 1).strip():
                findings.append(_f(ids.ACK_HEADER, f"MSH-{number}.1 de l'ACK ≠ celui du message",
                                   f"ACK MSH-{number}.1 ≠ the message's", f"MSH-{number}.1"))
    if msa is None:
        findings.append(_f(ids.ACK_CODE, "segment MSA absent", "MSA segment missing", "MSA"))
        return findings
    answer = v(msa, 1).strip()
    valid = ENHANCED_CODES if _enhanced(original) else ORIGINAL_CODES
    if answer not in valid:
        findings.append(_f(ids.ACK_CODE, *expected_received("MSA-1", answer, valid), "MSA-1"))
    elif expected is not None:
        wanted = {expected} if isinstance(expected, str) else set(expected)
        if answer not in wanted:
            findings.append(_f(ids.ACK_CODE, *expected_received("MSA-1", answer, wanted), "MSA-1"))
    if original is not None and v(msa, 2).strip() != original.control_id:
        findings.append(_f(ids.ACK_ECHO, *expected_received("MSA-2", v(msa, 2).strip(), f"MSH-10 {original.control_id}"), "MSA-2"))
    if answer in ("AE", "AR", "CE", "CR"):
        errs = ack.all("ERR")
        if not errs:
            findings.append(_f(ids.ACK_ERR, f"MSA-1 = {answer} sans segment ERR", f"MSA-1 = {answer} without an ERR segment", "ERR"))
        for err in errs:
            if not v(err, 3, 1, 1).strip():
                findings.append(_f(ids.ACK_ERR, "ERR-3 (code d'erreur, table 0357) absent",
                                   "ERR-3 (error code, table 0357) missing", "ERR-3"))
            if v(err, 4).strip() not in ERROR_SEVERITIES:
                findings.append(_f(ids.ACK_ERR, f"ERR-4 = « {v(err, 4).strip()} », attendu E, F, I ou W (table 0516)",
                                   f"ERR-4 = '{v(err, 4).strip()}', expected E, F, I or W (table 0516)", "ERR-4"))
            if not v(err, 2).strip():
                findings.append(_f(ids.ACK_ERR, "ERR-2 (emplacement de l'erreur) absent",
                                   "ERR-2 (error location) missing", "ERR-2", Severity.WARNING))
    return findings
