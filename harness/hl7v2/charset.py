"""MSH-18 character sets: which Python codec decodes each, and how to tell a mismatch."""

from __future__ import annotations

# HL7 table 0211 values the French framework uses; an empty MSH-18 means ASCII (HL7 default).
CODECS = {"": "ascii", "ASCII": "ascii", "UNICODE UTF-8": "utf-8", "8859/1": "iso8859_1", "8859/15": "iso8859_15"}


def codec_for(msh18: str) -> str | None:
    return CODECS.get(msh18.strip().upper())


def looks_like_utf8(data: bytes) -> bool:
    """True when the bytes hold non-ASCII text that decodes as UTF-8 (a Latin-1 label would garble it)."""
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
