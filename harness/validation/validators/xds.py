"""XDS.b messages (ITI-41/42/18/43/57, RegistryResponse) as SOAP 1.2 envelopes or MTOM/XOP captures: see harness/xds/."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from harness.core.findings import ArtefactReport

if TYPE_CHECKING:
    from harness.config.context import ValidationContext

KIND = "xds"
_ENVELOPE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Envelope[\s>]")
_XDS_NAMESPACES = (b"urn:ihe:iti:xds-b:2007", b"urn:oasis:names:tc:ebxml-regrep:xsd:")
_SOAP = (b"http://www.w3.org/2003/05/soap-envelope", b"http://schemas.xmlsoap.org/soap/envelope/")


def detect(data: bytes) -> bool:
    """A SOAP envelope (or an MTOM/XOP capture of one) carrying an XDS.b or ebXML registry element."""
    from harness.xds.mime import looks_like_capture

    head = data[:65536]
    if not any(ns in head for ns in _XDS_NAMESPACES) or not any(ns in head for ns in _SOAP):
        return False
    if looks_like_capture(head):
        return True
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"<?"):
        start = start[start.find(b"?>") + 2 :].lstrip()
    while start.startswith(b"<!--"):
        start = start[start.find(b"-->") + 3 :].lstrip()
    return _ENVELOPE.match(start) is not None


def validate(data: bytes, path: str, context: ValidationContext) -> ArtefactReport:
    from harness.xds.validate import validate_xds  # late: the CDA validator it uses imports the dispatch

    return validate_xds(data, path, context)
