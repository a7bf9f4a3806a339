"""Embedded documents: base64 payloads that must decode and be PDF files.

A PDF is recognised by its first and last bytes (looks_like_pdf), so a payload of hundreds of kilobytes need not be
decoded whole: when it is plainly valid (full quads of the base64 alphabet, then a valid last quad), only its ends are
decoded; any other text is decoded whole, strictly, which decides whether it is base64 at all.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_HEAD, _TAIL = 1024, 2048  # the bytes of a payload looks_like_pdf reads
_HEAD_CHARS, _TAIL_CHARS = 1368, 2736  # whole quads of base64 text decoding to at least that many bytes (3 per 4 characters)


@dataclass(frozen=True)
class Ends:
    """The first and last bytes of a decoded payload (all of it when shorter): what looks_like_pdf reads."""

    head: bytes  # payload[:1024]
    tail: bytes  # payload[-2048:]


def base64_ends(text: str | None) -> Ends | None:
    """The ends of strictly decoded base64 text (whitespace ignored); None when it is not base64."""
    if text is None:
        return None
    compact = "".join(text.split()).encode("ascii", "replace")
    if not compact:
        return None
    if len(compact) > _HEAD_CHARS + _TAIL_CHARS and _plainly_valid(compact):
        return Ends(binascii.a2b_base64(compact[:_HEAD_CHARS], strict_mode=True)[:_HEAD],
                    binascii.a2b_base64(compact[-_TAIL_CHARS:], strict_mode=True)[-_TAIL:])
    try:
        payload = binascii.a2b_base64(compact, strict_mode=True)
    except (binascii.Error, ValueError):
        return None
    return Ends(payload[:_HEAD], payload[-_TAIL:])


def _plainly_valid(compact: bytes) -> bool:
    """Whole quads of the alphabet, then a last quad that decodes strictly alone: the strict decoder keeps no state from
    one whole quad to the next, and a quad alone is judged at least as strictly as after others ("====" is refused alone,
    accepted after data), so the whole text decodes strictly too. Any other text is decoded whole to find out."""
    if len(compact) % 4 or compact[:-4].translate(None, _ALPHABET):
        return False
    try:
        binascii.a2b_base64(compact[-4:], strict_mode=True)
    except (binascii.Error, ValueError):
        return False
    return True


def looks_like_pdf(ends: Ends) -> bool:
    """A PDF starts with %PDF-1.x / %PDF-2.x (possibly after a little junk) and ends with %%EOF."""
    return re.search(rb"%PDF-[12]\.[0-9]", ends.head) is not None and b"%%EOF" in ends.tail
