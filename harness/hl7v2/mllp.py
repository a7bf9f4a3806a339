"""MLLP framing (HL7 v2 Appendix C): 0x0B, message, 0x1C 0x0D."""

from __future__ import annotations

START, END = b"\x0b", b"\x1c\r"


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
