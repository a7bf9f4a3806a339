"""MLLP framing (HL7 v2 Minimal Lower Layer Protocol) and the MSH/MSA handling the endpoint tests need.

A frame is VT (0x0B), the message, FS (0x1C), CR (0x0D). Every read is bounded in size and time:
`read_frame` raises `FrameError` with a reason (garbage before the start block, oversized,
truncated by the peer) and lets `socket.timeout` through for the caller to judge.

The HL7 part is deliberately minimal (MSH fields, MSA of an ACK, a technical ACK): the full
HL7 v2 validation and ACK rules are #4's (`harness/hl7v2/`); see docs/security.md.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

START, END, CR = b"\x0b", b"\x1c", b"\x0d"
DEFAULT_MAX_FRAME = 1024 * 1024
SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{2}$")


class FrameError(Exception):
    """A frame that cannot be read; `kind` is closed (no frame), garbage, oversized or truncated."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def frame(message: bytes | str) -> bytes:
    data = message.encode("utf-8") if isinstance(message, str) else message
    return START + data + END + CR


def read_frame(sock: socket.socket, max_bytes: int = DEFAULT_MAX_FRAME) -> bytes:
    """Read one frame from `sock` (whose timeout the caller has set) and return its content."""
    first = sock.recv(1)
    if not first:
        raise FrameError("closed", "connection closed before a frame / connexion fermée avant une trame")
    if first != START:
        raise FrameError("garbage", f"frame does not start with VT (0x0B) but {first!r} / la trame ne commence pas par VT")
    buffer = bytearray()
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            raise FrameError("truncated", "connection closed inside a frame / connexion fermée au milieu d'une trame")
        buffer += chunk
        end = buffer.find(END + CR)
        if end >= 0:
            return bytes(buffer[:end])
        if len(buffer) > max_bytes:
            raise FrameError("oversized", f"frame larger than {max_bytes} bytes / trame de plus de {max_bytes} octets")


def segments(message: bytes | str) -> list[str]:
    text = message.decode("utf-8", errors="replace") if isinstance(message, bytes) else message
    return [s for s in re.split(r"\r\n|\r|\n", text) if s]


@dataclass
class Header:
    """The MSH fields an ACK needs (HL7 numbering: fields[9] is MSH-9)."""

    fields: list[str]
    separator: str

    def get(self, number: int) -> str:
        return self.fields[number] if number < len(self.fields) else ""


def parse_msh(message: bytes | str) -> Header | None:
    """MSH of a message, or None when the message does not start with a usable MSH segment."""
    lines = segments(message)
    if not lines or not lines[0].startswith("MSH") or len(lines[0]) < 8:
        return None
    separator = lines[0][3]
    parts = lines[0].split(separator)
    return Header(["MSH", separator, *parts[1:]], separator)


def problems(message: bytes) -> list[tuple[str, str, str]]:
    """Syntax problems of a message as (ERR-2 location, ERR-3 code^text, description); empty when acceptable."""
    header = parse_msh(message)
    if header is None:
        return [("MSH^1", "100^Segment sequence error", "no MSH segment first / pas de segment MSH en tête")]
    found = []
    for number, code in ((7, "101^Required field missing"), (9, "101^Required field missing"), (10, "101^Required field missing"), (12, "101^Required field missing")):
        if not header.get(number):
            found.append((f"MSH^1^{number}", code, f"MSH-{number} empty / MSH-{number} vide"))
    if header.get(9) and not re.match(r"^[A-Z0-9]{3}\^[A-Z0-9]{3}", header.get(9)):
        found.append(("MSH^1^9", "102^Data type error", "MSH-9 is not a message type / MSH-9 n'est pas un type de message"))
    for index, segment in enumerate(segments(message)[1:], start=2):
        if not SEGMENT_ID.match(segment[:3]) or (len(segment) > 3 and segment[3] != header.separator):
            found.append((f"{segment[:3]}^{index}", "100^Segment sequence error", f"segment {index} malformed / segment {index} mal formé"))
    return found


def build_ack(message: bytes, code: str, errors: list[tuple[str, str, str]] = (), control_id: str | None = None) -> bytes:
    """A technical ACK of `message`: MSH derived from the original, MSA-1 `code`, MSA-2 = MSH-10, ERR per problem."""
    header = parse_msh(message) or Header(["MSH", "|", "^~\\&"], "|")
    s = header.separator
    event = header.get(9).split("^")[1] if "^" in header.get(9) else ""
    now = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    msh = s.join(["MSH", header.get(2) or "^~\\&", header.get(5), header.get(6), header.get(3), header.get(4), now, "",
                  f"ACK^{event}^ACK" if event else "ACK", f"ACK{now}", header.get(11) or "P", header.get(12) or "2.5"])
    lines = [msh, s.join(["MSA", code, header.get(10) if control_id is None else control_id])]
    for location, condition, text in errors:
        lines.append(s.join(["ERR", "", location, f"{condition}^HL70357", "E", "", "", "", text]))
    return ("\r".join(lines) + "\r").encode("utf-8")


@dataclass
class Ack:
    code: str  # MSA-1
    control_id: str  # MSA-2
    message_type: str  # MSH-9
    err_segments: int


def parse_ack(data: bytes) -> Ack | None:
    """MSA-1, MSA-2, MSH-9 and the number of ERR segments of an ACK, or None when it has no MSH/MSA."""
    header = parse_msh(data)
    if header is None:
        return None
    msa = next((s.split(header.separator) for s in segments(data) if s.startswith("MSA")), None)
    if msa is None:
        return None
    return Ack(
        code=msa[1] if len(msa) > 1 else "",
        control_id=msa[2] if len(msa) > 2 else "",
        message_type=header.get(9),
        err_segments=sum(1 for s in segments(data) if s.startswith("ERR")),
    )
