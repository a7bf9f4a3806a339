"""Reading an untrusted e-mail (RFC 5322 / MIME) with the standard library, within bounds.

The `email` package's compat32 policy keeps header values as written (no structured header
parsing, whose worst cases are slow on hostile input); the few values the rules need are decoded
here. Bounds: the input size (the caller's), the number of MIME containers (checked on the raw
bytes before parsing, since each nested multipart is one more level of the parser's recursion),
the number of parts and their depth (while walking, without recursion).
"""

from __future__ import annotations

import email
import email.errors
import email.header
import email.utils
import re
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from harness.core.errors import HarnessError

MAX_CONTAINERS = 100  # multipart/* and message/* bodies in one e-mail
MAX_PARTS = 500
MAX_DEPTH = 20


class MailUnreadable(HarnessError):
    """Not an e-mail that can be judged (empty, too deeply nested, too many parts): ABORTED with the reason."""


@dataclass
class Attachment:
    """A leaf part with a file name (or disposition attachment): its name, type and decoded bytes."""

    filename: str
    content_type: str
    data: bytes
    depth: int


@dataclass
class Mail:
    """A parsed e-mail: the message, its leaf parts and attachments, and where its parts sit."""

    message: Message
    attachments: list[Attachment] = field(default_factory=list)
    parts: list[tuple[Message, int]] = field(default_factory=list)  # every part with its depth, the message itself first

    def values(self, name: str) -> list[str]:
        """Every value of a header of the top-level message, unfolded."""
        return [unfold(v) for v in self.message.get_all(name) or []]

    def value(self, name: str) -> str | None:
        found = self.values(name)
        return found[0] if found else None

    @property
    def subject(self) -> str | None:
        raw = self.message.get("Subject")
        return None if raw is None else decode_words(raw)

    @property
    def content_type(self) -> str:
        return self.message.get_content_type()


def unfold(value: object) -> str:
    return re.sub(r"\r?\n[ \t]+", " ", str(value)).strip()


def decode_words(raw: object) -> str:
    """A header value with its RFC 2047 encoded words decoded (as written when they cannot be)."""
    text = unfold(raw)
    try:
        return str(email.header.make_header(email.header.decode_header(text)))
    except (LookupError, UnicodeError, email.errors.MessageError, ValueError):
        return text


def addresses(values: list[str]) -> list[str]:
    """The addr-specs of address headers (To, Cc, …), lower case; an unparseable one as ''."""
    return [address.strip().lower() for _, address in email.utils.getaddresses(values)]


def payload_of(part: Message) -> Any:
    """A part's payload (its sub-parts for a multipart), None when a hostile charset makes it unreadable."""
    try:
        return part.get_payload()
    except (LookupError, UnicodeError, ValueError):
        return None


def parse_mail(data: bytes) -> Mail:
    """Parse the bytes of an e-mail; raise `MailUnreadable` when they cannot be judged."""
    if not data.strip():
        raise MailUnreadable("courriel vide", "empty e-mail")
    containers = len(re.findall(rb"(?im)^content-type:[ \t]*(?:multipart|message)/", data))
    if containers > MAX_CONTAINERS:
        raise MailUnreadable(f"{containers} conteneurs MIME, au-delà de la limite de {MAX_CONTAINERS}",
                             f"{containers} MIME containers, over the limit of {MAX_CONTAINERS}")
    try:
        message = email.message_from_bytes(data)
    except RecursionError:
        raise MailUnreadable("imbrication MIME trop profonde", "MIME nesting too deep") from None
    if not message.keys():
        raise MailUnreadable("aucun champ d'en-tête : ce n'est pas un courriel RFC 5322", "no header field: not an RFC 5322 e-mail")
    mail = Mail(message)
    stack: list[tuple[Message, int]] = [(message, 0)]
    while stack:
        part, depth = stack.pop()
        mail.parts.append((part, depth))
        if len(mail.parts) > MAX_PARTS or depth > MAX_DEPTH:
            raise MailUnreadable(f"plus de {MAX_PARTS} parties MIME ou plus de {MAX_DEPTH} niveaux",
                                 f"more than {MAX_PARTS} MIME parts or {MAX_DEPTH} levels")
        payload = payload_of(part)
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in reversed(payload) if isinstance(child, Message))
            continue
        attachment = _attachment(part, depth)
        if attachment is not None:
            mail.attachments.append(attachment)
    return mail


def _attachment(part: Message, depth: int) -> Attachment | None:
    try:
        filename = part.get_filename()
    except (LookupError, UnicodeError, ValueError):
        filename = None
    disposition = str(part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    if filename is None and disposition != "attachment":
        return None
    try:
        data = part.get_payload(decode=True)
    except (LookupError, UnicodeError, ValueError):
        data = b""
    return Attachment(decode_words(filename or ""), part.get_content_type(), data if isinstance(data, bytes) else b"", depth)
