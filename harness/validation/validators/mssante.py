"""MSSanté e-mails (RFC 5322/MIME, `.eml`): the `mssante-exchange` rules, the IHE_XDM.ZIP as a child report."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from harness.core.findings import ArtefactReport

if TYPE_CHECKING:
    from harness.config.context import ValidationContext

KIND = "email"
_FIELD = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:", re.MULTILINE)
_MAIL_FIELDS = re.compile(rb"^(?:From|Message-ID|MIME-Version|Subject|Date|Received|Return-Path):", re.IGNORECASE | re.MULTILINE)


def detect(data: bytes) -> bool:
    """Header fields from the first line, among them From: and another field every e-mail has."""
    head = data[:65536].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    if not _FIELD.match(head.lstrip(b"\r\n")):
        return False
    found = {m.group(0).split(b":")[0].lower() for m in _MAIL_FIELDS.finditer(head)}
    return b"from" in found and len(found) >= 2


def validate(data: bytes, path: str, context: ValidationContext) -> ArtefactReport:
    from harness.mssante.rules import judge_email  # loaded with the first e-mail

    return judge_email(data, path, context)
