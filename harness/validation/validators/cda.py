"""CDA R2 documents of the CI-SIS: detection and native validation (see harness.cda)."""

from __future__ import annotations

import codecs
import re

from harness.cda import validate_cda
from harness.config.context import ValidationContext
from harness.core.findings import ArtefactReport

KIND = "cda"
_HL7 = b"urn:hl7-org:v3"
_CLINICAL_DOCUMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?ClinicalDocument[\s>/]")
_STYLESHEET = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:stylesheet|transform)[\s>]")


def _first_element(head: bytes) -> bytes:
    """The text from the first start tag on (skipping the XML declaration, comments and PIs)."""
    position = 0
    while True:
        start = head.find(b"<", position)
        if start < 0:
            return b""
        if head.startswith(b"<?", start):
            closing = b"?>"
        elif head.startswith(b"<!--", start):
            closing = b"-->"
        elif head.startswith(b"<!", start):  # DOCTYPE (refused later by the safe parser, with the reason)
            bracket, close = head.find(b"[", start), head.find(b">", start)
            closing = b"]>" if 0 <= bracket < close else b">"
        else:
            return head[start:start + 512]
        end = head.find(closing, start)
        if end < 0:
            return b""
        position = end + len(closing)


def detect(data: bytes) -> bool:
    """A ClinicalDocument root in the HL7 v3 namespace, or an xsl:stylesheet embedding one."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # sniffed on UTF-8; the parser reads the whole
        data = data[:131072].decode("utf-16", errors="ignore").encode("utf-8")
    head = _first_element(data)
    if _HL7 not in data:
        return False
    if _CLINICAL_DOCUMENT.match(head):
        return True
    return bool(_STYLESHEET.match(head)) and _CLINICAL_DOCUMENT.search(data) is not None


def validate(data: bytes, path: str, context: ValidationContext) -> ArtefactReport:
    return validate_cda(data, path, context)

