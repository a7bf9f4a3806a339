"""Embedded documents: base64 payloads that must decode and be PDF files."""

from __future__ import annotations

import base64
import binascii
import re


def decode_base64(text: str | None) -> bytes | None:
    """Strictly decode base64 text (whitespace ignored); None when it is not base64."""
    if text is None:
        return None
    compact = "".join(text.split()).encode("ascii", "replace")
    if not compact:
        return None
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def looks_like_pdf(payload: bytes) -> bool:
    """A PDF starts with %PDF-1.x / %PDF-2.x (possibly after a little junk) and ends with %%EOF."""
    head = payload[:1024]
    return re.search(rb"%PDF-[12]\.[0-9]", head) is not None and b"%%EOF" in payload[-2048:]
