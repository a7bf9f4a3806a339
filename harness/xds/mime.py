"""MTOM/XOP captures (`multipart/related`) read with the standard library's email parser.

A capture is the HTTP body of an XDS.b message, optionally preceded by its HTTP headers (at least
`Content-Type`, which carries the boundary). The parts are split by `email` (no network, no
decoding beyond base64 and quoted-printable), with limits on the number of parts and their size.
"""

from __future__ import annotations

import email.parser
import email.policy
import re
from dataclasses import dataclass, field
from email.message import Message

from harness.core.errors import HarnessError

MAX_PARTS = 1000  # a submission set carries a few documents; more is refused, never read forever
_HEAD = re.compile(rb"^(?:[A-Za-z0-9-]+:[^\r\n]*\r?\n(?:[ \t][^\r\n]*\r?\n)*)+", re.S)
_HTTP_START = re.compile(rb"^(?:POST|PUT) [^\r\n]* HTTP/1\.[01]\r?\n|^HTTP/1\.[01] \d{3}[^\r\n]*\r?\n")


class MimeError(HarnessError):
    """A capture that cannot be read as MTOM/XOP multipart/related; the message says why."""


@dataclass(slots=True)
class Part:
    """One MIME part: its Content-ID (without <>), Content-Type, bytes, and its 1-based line in the capture."""

    content_id: str | None
    content_type: str
    data: bytes
    line: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Capture:
    """A whole MTOM/XOP capture: the multipart parameters, the root part and every part by Content-ID."""

    content_type: str  # "multipart/related"
    params: dict[str, str]  # type, start, start-info, boundary
    root: Part
    parts: list[Part]

    def part(self, content_id: str) -> Part | None:
        """The part a `cid:` reference names (URL-decoded, without `cid:` and <>)."""
        from urllib.parse import unquote

        wanted = unquote(content_id.removeprefix("cid:")).strip("<>")
        return next((p for p in self.parts if p.content_id == wanted), None)


def looks_like_capture(head: bytes) -> bool:
    """Whether the first bytes are a multipart/related capture (HTTP headers, MIME headers or a boundary line)."""
    head = _HTTP_START.sub(b"", head.lstrip(b"\r\n"), count=1)
    if head.startswith(b"--"):
        return b"application/xop+xml" in head[:4096].lower() or b"application/soap+xml" in head[:4096].lower()
    start = head[:8192].lower()
    return b"content-type:" in start and b"multipart/related" in start and _HEAD.match(head) is not None


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def parse_capture(data: bytes, max_bytes: int) -> Capture:
    """Split a capture into its parts; raise `MimeError` (French and English) when it cannot be read."""
    if len(data) > max_bytes:
        raise MimeError(f"{len(data)} octets, au-delà de la limite de {max_bytes}", f"{len(data)} bytes, over the limit of {max_bytes}")
    body = _HTTP_START.sub(b"", data.lstrip(b"\r\n"), count=1)
    if body.startswith(b"--"):  # the body alone: the boundary is its first line
        boundary = body.split(b"\n", 1)[0].strip()[2:].decode("ascii", errors="replace")
        header = f'Content-Type: multipart/related; boundary="{boundary}"; type="application/xop+xml"\r\n\r\n'.encode()
        body = header + body
    try:
        message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(body)
    except RecursionError:  # the parser nests one level per nested multipart
        raise MimeError("parties MIME imbriquées trop profondément", "MIME parts nested too deeply") from None
    if message.get_content_type() != "multipart/related":
        raise MimeError(
            f"type MIME {message.get_content_type()} : multipart/related attendu",
            f"MIME type {message.get_content_type()}: multipart/related expected",
        )
    boundary = str(message.get_boundary() or "")
    if not boundary:
        raise MimeError("paramètre boundary absent du Content-Type", "no boundary parameter in the Content-Type")
    payload = message.get_payload()
    if not isinstance(payload, list) or not payload:
        raise MimeError("aucune partie MIME trouvée (boundary incorrect ?)", "no MIME part found (wrong boundary?)")
    if len(payload) > MAX_PARTS:
        raise MimeError(
            f"{len(payload)} parties MIME, au-delà de la limite de {MAX_PARTS}", f"{len(payload)} MIME parts, over the limit of {MAX_PARTS}"
        )
    params = {str(k).lower(): str(v) for k, v in message.get_params() or [] if v}
    parts: list[Part] = []
    marker = b"--" + str(boundary).encode("ascii", errors="replace")
    position = 0
    for sub in payload:
        if not isinstance(sub, Message):
            continue
        found = data.find(marker, position)  # the part's boundary line in the capture as given
        position = found + len(marker) if found >= 0 else position
        content = sub.get_payload(decode=True)
        content_id = sub.get("Content-ID")
        parts.append(
            Part(
                content_id=content_id.strip().strip("<>") if content_id else None,
                content_type=str(sub.get("Content-Type", "text/plain")),
                data=content if isinstance(content, bytes) else b"",
                line=_line_of(data, found) + 1 if found >= 0 else None,
                headers={str(k).lower(): str(v) for k, v in sub.items()},
            )
        )
    start = params.get("start", "").strip().strip("<>")
    root = next((p for p in parts if p.content_id == start), None) if start else parts[0]
    if root is None:
        raise MimeError(f"la partie racine start=<{start}> n'existe pas", f"the root part start=<{start}> does not exist")
    return Capture(content_type="multipart/related", params=params, root=root, parts=parts)
