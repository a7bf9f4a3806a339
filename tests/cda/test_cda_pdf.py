"""base64_ends answers as the strict decoding of the whole payload it replaces (None exactly when
base64.b64decode(..., validate=True) refuses the text, whitespace removed), with the payload's first 1024 and last
2048 bytes, on long payloads (only their ends decoded) and short ones, valid or broken anywhere."""

from __future__ import annotations

import base64
import binascii
import random

import pytest

from harness.cda.pdf import base64_ends, looks_like_pdf

_PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def _reference(text: str) -> bytes | None:
    """The whole payload, decoded as the rules did before base64_ends."""
    compact = "".join(text.split()).encode("ascii", "replace")
    if not compact:
        return None
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def _texts() -> list[str]:
    rng = random.Random(13)
    texts = ["", " \n\t", "QQ==", "QUI=", "QUJD", "QQ", "QQ=", "=QQ=", "QQ==QQ==", "QR==", "QUJDQQ==", "Q===", "===="]
    for size in (0, 1, 2, 3, 1025, 3070, 3071, 3072, 3073, 3077, 5000, 20000):
        payload = bytes(rng.randrange(256) for _ in range(size))
        encoded = base64.b64encode(payload).decode()
        texts += [encoded, base64.encodebytes(payload).decode(), "\r\n  " + encoded + "\n\u00a0"]
        for _ in range(12):  # one fault somewhere: a character outside the alphabet, padding, a character dropped or added
            where = rng.randrange(len(encoded) + 1)
            fault = rng.choice(["*", "=", "==", "-", "_", "é", "\x00", "A", ""])
            cut = rng.choice([0, 1])
            texts.append(encoded[:where] + fault + encoded[where + cut:])
        texts += [encoded[:-1], encoded[:-2], encoded + "=", encoded + "A", "=" + encoded, encoded[:-4] + "====" if encoded else "A"]
    # a long body of whole quads, then a last quad that may break the whole (or not: "====" after data is accepted)
    body = base64.b64encode(bytes(rng.randrange(256) for _ in range(6000))).decode()
    texts += [body[:-4] + last for last in ("Q===", "A=AA", "QQ=A", "====", "=AAA", "QR==", "QQ==", "QUI=", "QUJD", "QQ", "Q")]
    return texts


@pytest.mark.parametrize("text", _texts())
def test_base64_ends_answers_as_the_whole_strict_decoding(text: str) -> None:
    expected = _reference(text)
    ends = base64_ends(text)
    if expected is None:
        assert ends is None
    else:
        assert ends is not None and (ends.head, ends.tail) == (expected[:1024], expected[-2048:])


def test_a_long_pdf_is_recognised_from_its_ends_and_a_broken_one_is_not_base64() -> None:
    encoded = base64.encodebytes(_PDF).decode()
    ends = base64_ends(encoded)
    assert ends is not None and looks_like_pdf(ends)
    assert base64_ends(encoded[:5000] + "*" + encoded[5000:]) is None  # the fault in the middle, never decoded for the ends
    truncated = base64_ends(base64.b64encode(_PDF[:-8]).decode())
    assert truncated is not None and not looks_like_pdf(truncated)  # no %%EOF at the end
    assert base64_ends(None) is None
