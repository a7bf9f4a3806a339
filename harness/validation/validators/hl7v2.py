"""HL7 v2 messages (PAM FR ADT, CDA transmission ORU/MDM, ACK, ZAM): see harness/hl7v2/."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.core.findings import ArtefactReport
from harness.hl7v2.validate import validate_message

if TYPE_CHECKING:
    from harness.config.context import ValidationContext

KIND = "hl7v2"


def detect(data: bytes) -> bool:
    head = data[:64].lstrip(b"\x0b\xef\xbb\xbf \t\r\n")
    return head.startswith(b"MSH") and len(head) > 3 and not chr(head[3]).isalnum()


def validate(data: bytes, path: str, context: ValidationContext) -> ArtefactReport:
    return validate_message(data, path, context)
