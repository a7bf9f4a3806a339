"""Bytes → `Message`: MLLP framing, MSH-18 decoding, segment separators, delimiters.

`parse` never raises anything but `ParseError` (input that cannot be tokenized at all); every
tolerated irregularity (LF separators, a charset mismatch, a bad escape sequence, a malformed
line) becomes a finding and the message is still tokenized.
"""

from __future__ import annotations

import re

from harness.core.findings import CappedFindings, Finding, Severity
from harness.hl7v2 import ids
from harness.hl7v2.charset import codec_for, looks_like_utf8
from harness.hl7v2.message import Delimiters, Message, Segment, bad_escapes, location
from harness.hl7v2.registered import evaluates

MLLP_START, MLLP_END = b"\x0b", b"\x1c"
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")
_BOM = b"\xef\xbb\xbf"


class ParseError(Exception):
    """Input that cannot be tokenized; `aborted` when it is not an HL7 v2 message at all."""

    def __init__(self, requirement: str, fr: str, en: str, line: int | None = None, aborted: bool = False) -> None:
        super().__init__(en)
        self.requirement, self.fr, self.en, self.line, self.aborted = requirement, fr, en, line, aborted

    def finding(self) -> Finding:
        return Finding(self.requirement, Severity.ERROR, self.fr, self.en, "MSH" if self.line == 1 else None, self.line)


def _error(requirement: str, fr: str, en: str, where: str | None = None,
           line: int | None = None, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(requirement, severity, fr, en, where, line)


def unframe(data: bytes, findings: list[Finding]) -> bytes:
    """Remove MLLP framing (0x0B … 0x1C 0x0D) when present, reporting an incomplete frame."""
    if not data.startswith(MLLP_START):
        if MLLP_START in data or MLLP_END in data:
            findings.append(_error(ids.MLLP, "caractères de trame MLLP (0x0B/0x1C) hors d'une trame",
                                   "MLLP frame characters (0x0B/0x1C) outside a frame"))
            data = data.replace(MLLP_START, b"").replace(MLLP_END, b"")
        return data
    body = data[1:]
    end = body.find(MLLP_END)
    if end < 0:
        findings.append(_error(ids.MLLP, "trame MLLP sans bloc de fin 0x1C 0x0D", "MLLP frame without the end block 0x1C 0x0D"))
        return body
    trailer = body[end + 1:]
    if not trailer.startswith(b"\r"):
        findings.append(_error(ids.MLLP, "le bloc de fin MLLP 0x1C doit être suivi de 0x0D",
                               "the MLLP end block 0x1C must be followed by 0x0D"))
    if trailer.strip(b"\r\n \t"):
        findings.append(_error(ids.MLLP, "données après la fin de la trame MLLP", "data after the end of the MLLP frame"))
    return body[:end]


def _delimiters(head: bytes) -> Delimiters:
    if len(head) < 8:
        raise ParseError(ids.SYNTAX, "segment MSH tronqué : séparateurs absents", "truncated MSH segment: delimiters missing", 1)
    fs = chr(head[3])
    end = head.find(head[3:4], 4)
    encoding = head[4:end if end > 0 else 8].decode("latin-1")
    chars = [fs, *encoding]
    if (len(encoding) != 4 or len(set(chars)) != 5 or any(c.isalnum() or c.isspace() or not c.isprintable() for c in chars)):
        raise ParseError(
            ids.SYNTAX,
            f"séparateurs MSH-1/MSH-2 invalides : « {fs}{encoding} » (attendu 5 caractères distincts, non alphanumériques, p. ex. |^~\\&)",
            f"invalid MSH-1/MSH-2 delimiters: '{fs}{encoding}' (expected 5 distinct non-alphanumeric characters, e.g. |^~\\&)", 1)
    return Delimiters(fs, encoding[0], encoding[1], encoding[2], encoding[3])


def _decode(body: bytes, fs: bytes, findings: list[Finding]) -> tuple[str, str]:
    """Decode by MSH-18 (first repetition); report an unsupported label or bytes that do not match it."""
    first_line = re.split(rb"[\r\n]", body, maxsplit=1)[0]
    parts = first_line.split(fs)
    label = parts[17].decode("latin-1") if len(parts) > 17 else ""
    label = label.split(chr(first_line[5]) if len(first_line) > 5 else "~")[0].strip()
    codec = codec_for(label)
    if codec is None:
        findings.append(_error(ids.CHARSET, f"MSH-18 « {label} » : jeu de caractères non pris en charge (UNICODE UTF-8, 8859/1, 8859/15)",
                               f"MSH-18 '{label}': unsupported character set (UNICODE UTF-8, 8859/1, 8859/15)", "MSH-18", 1))
        codec = "utf-8" if looks_like_utf8(body) or body.isascii() else "iso8859_1"
        return body.decode(codec, errors="replace"), codec
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        line = body[:exc.start].count(b"\n") + body[:exc.start].count(b"\r") - body[:exc.start].count(b"\r\n") + 1
        shown = label or "(vide/empty: ASCII)"
        findings.append(_error(ids.CHARSET, f"octets non conformes au jeu de caractères déclaré MSH-18 {shown} (octet {exc.start})",
                               f"bytes do not match the declared MSH-18 character set {shown} (byte {exc.start})", "MSH-18", line))
        return body.decode(codec, errors="replace"), codec
    if codec.startswith("iso8859") and looks_like_utf8(body):
        findings.append(_error(ids.CHARSET, f"MSH-18 déclare {label} mais le message est encodé en UTF-8 (texte altéré)",
                               f"MSH-18 declares {label} but the message is UTF-8 encoded (garbled text)", "MSH-18", 1, Severity.WARNING))
    return text, codec


@evaluates(ids.SYNTAX, ids.TERMINATOR, ids.SEGMENT_ID, ids.MLLP, ids.ESCAPE, ids.CHARSET)  # with unframe and _decode
def parse(data: bytes) -> tuple[Message, list[Finding]]:
    """Tokenize one message; return it with the findings of tolerated irregularities (capped: see CappedFindings)."""
    findings: list[Finding] = CappedFindings()
    body = unframe(data, findings)
    if body.startswith(_BOM):
        body = body[len(_BOM):]
    body = body.strip(b"\r\n\t \x00")
    if not body:
        raise ParseError(ids.SYNTAX, "message vide", "empty message", aborted=True)
    if not body.startswith(b"MSH"):
        if b"MSH" not in body[:4096]:
            raise ParseError(ids.SYNTAX, "pas un message HL7 v2 : aucun segment MSH", "not an HL7 v2 message: no MSH segment", aborted=True)
        raise ParseError(ids.SYNTAX, "le message doit commencer par le segment MSH", "the message must start with the MSH segment", 1)
    d = _delimiters(body[:64])
    text, codec = _decode(body, d.field.encode("latin-1"), findings)

    if "\n" in text:
        crlf_only = "\r\n" in text and "\n" not in text.replace("\r\n", "")
        text = text.replace("\r\n", "\r")
        if not crlf_only:
            findings.append(_error(ids.TERMINATOR, "segments séparés par LF : le terminateur de segment HL7 est CR (toléré)",
                                   "segments separated by LF: the HL7 segment terminator is CR (tolerated)", severity=Severity.WARNING))
            text = text.replace("\n", "\r")

    segments: list[Segment] = []
    fs = d.field
    for number, line in enumerate(text.split("\r"), start=1):
        if not line.strip():
            continue
        name = line[:3]
        if not _SEGMENT_ID.fullmatch(name) or (len(line) > 3 and line[3] != fs):
            findings.append(_error(ids.SEGMENT_ID, f"ligne {number} : identifiant de segment invalide « {line[:12]} »",
                                   f"line {number}: invalid segment id '{line[:12]}'", None, number))
            continue
        parts = line.split(fs)
        if name == "MSH":
            if segments:
                findings.append(_error(ids.SEGMENT_ID, "second segment MSH : un seul message par fichier",
                                       "second MSH segment: one message per file", "MSH", number))
                continue
            fields = ["MSH", fs, *parts[1:]]
        else:
            fields = parts
        if d.escape in line:
            for index in range(3 if name == "MSH" else 1, len(fields)):
                if d.escape in fields[index]:
                    for code in bad_escapes(fields[index], d):
                        findings.append(_error(
                            ids.ESCAPE, f"séquence d'échappement invalide « {code} »",
                            f"invalid escape sequence '{code}'", location(name, index), number))
        segments.append(Segment(name, fields, number))
    return Message(segments, d, codec, text), findings
