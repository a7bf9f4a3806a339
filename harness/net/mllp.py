"""MLLP (HL7 v2 Appendix C): framing, bounded and timed reading of one frame, and the MSA of an answer.

A frame is VT (0x0B), the message, FS CR (0x1C 0x0D). `read_frame` raises `FrameError` with a kind (closed before any frame,
garbage before the start block, oversized, truncated by the peer) and lets `socket.timeout`
through for the caller to judge. HL7 v2 parsing, validation and ACK rules are `harness.hl7v2`'s.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from harness.hl7v2.tokenizer import ParseError, parse

DEFAULT_MAX_FRAME = 1024 * 1024
START, END = b"\x0b", b"\x1c\r"

__all__ = ["DEFAULT_MAX_FRAME", "END", "START", "Ack", "FrameError", "frame", "parse_ack", "read_frame", "unframe"]


def frame(message: bytes) -> bytes:
    """Frame one message; segment terminators are normalised to CR first."""
    body = message.replace(b"\r\n", b"\r").replace(b"\n", b"\r")
    return START + body + END


def unframe(data: bytes) -> bytes | None:
    """The message inside one complete frame, or None when the frame is incomplete."""
    start, end = data.find(START), data.find(END)
    if start < 0 or end < start:
        return None
    return data[start + 1:end]


class FrameError(Exception):
    """A frame that cannot be read; `kind` is closed (no frame), garbage, oversized or truncated."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


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
        end = buffer.find(END)
        if end >= 0:
            return bytes(buffer[:end])
        if len(buffer) > max_bytes:
            raise FrameError("oversized", f"frame larger than {max_bytes} bytes / trame de plus de {max_bytes} octets")


@dataclass
class Ack:
    code: str  # MSA-1
    control_id: str  # MSA-2
    message_type: str  # MSH-9
    err_segments: int


def parse_ack(data: bytes) -> Ack | None:
    """MSA-1, MSA-2, MSH-9 and the number of ERR segments of an answer, or None when it is no ACK."""
    try:
        message = parse(data)[0]
    except ParseError:
        return None
    msa = message.first("MSA")
    if msa is None:
        return None
    return Ack(message.value(msa, 1).strip(), message.value(msa, 2).strip(), "^".join(message.message_type).rstrip("^"),
               len(message.all("ERR")))
