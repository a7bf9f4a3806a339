"""SOAP envelopes of XDS.b messages: safe parsing, WS-Addressing header, the transaction, XOP references.

`read_message(data)` takes a bare SOAP envelope or a whole MTOM/XOP capture and returns a `Message`:
the parsed envelope, the capture (when MIME), the transaction recognised from the Body's element,
and for every `xop:Include` the MIME part it names.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from lxml import etree

from harness.cda.xpath import location as xpath_location
from harness.core.xmlsafe import UnsafeOrInvalidXml, parse_xml
from harness.xds.mime import Capture, MimeError, Part, looks_like_capture, parse_capture

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
XOP = "http://www.w3.org/2004/08/xop/include"
XDSB = "urn:ihe:iti:xds-b:2007"
LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
RS = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0"
QUERY = "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
NS = {"s": SOAP12, "wsa": WSA, "xop": XOP, "xdsb": XDSB, "lcm": LCM, "rim": RIM, "rs": RS, "query": QUERY, "wsse": WSSE}
_PREFIX = {uri: prefix for prefix, uri in NS.items()} | {SOAP11: "s11"}

# The Body's first element → (transaction, "request" | "response"). A RegistryResponse alone is the
# response of ITI-41, ITI-42 or ITI-57: the WS-Addressing Action says which, else "RegistryResponse".
BODY_ELEMENTS = {
    f"{{{XDSB}}}ProvideAndRegisterDocumentSetRequest": ("ITI-41", "request"),
    f"{{{LCM}}}SubmitObjectsRequest": ("ITI-42", "request"),  # or ITI-57: told apart by the Action
    f"{{{QUERY}}}AdhocQueryRequest": ("ITI-18", "request"),
    f"{{{QUERY}}}AdhocQueryResponse": ("ITI-18", "response"),
    f"{{{XDSB}}}RetrieveDocumentSetRequest": ("ITI-43", "request"),
    f"{{{XDSB}}}RetrieveDocumentSetResponse": ("ITI-43", "response"),
    f"{{{RS}}}RegistryResponse": ("RegistryResponse", "response"),
}
ACTIONS = {  # WS-Addressing Action per transaction (IHE ITI TF-2): request, response
    "ITI-41": ("urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b", "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse"),
    "ITI-42": ("urn:ihe:iti:2007:RegisterDocumentSet-b", "urn:ihe:iti:2007:RegisterDocumentSet-bResponse"),
    "ITI-18": ("urn:ihe:iti:2007:RegistryStoredQuery", "urn:ihe:iti:2007:RegistryStoredQueryResponse"),
    "ITI-43": ("urn:ihe:iti:2007:RetrieveDocumentSet", "urn:ihe:iti:2007:RetrieveDocumentSetResponse"),
    "ITI-57": ("urn:ihe:iti:2010:UpdateDocumentSet", "urn:ihe:iti:2010:UpdateDocumentSetResponse"),
}
_BY_ACTION = {
    action: (transaction, direction)
    for transaction, pair in ACTIONS.items()
    for action, direction in zip(pair, ("request", "response"), strict=True)
}


class MessageError(Exception):
    """Not an XDS.b message the harness can read: `fr`, `en` say why, `line` where when known."""

    def __init__(self, fr: str, en: str, line: int | None = None) -> None:
        super().__init__(en)
        self.fr, self.en, self.line = fr, en, line


@dataclass(slots=True)
class Message:
    """One XDS.b message as read from a file."""

    tree: etree._ElementTree
    envelope: etree._Element
    header: etree._Element | None
    body: etree._Element | None
    payload: etree._Element  # the Body's first element (always present: read_message refuses a message without one)
    transaction: str  # ITI-41, ITI-42, ITI-18, ITI-43, ITI-57, or RegistryResponse (response of an unnamed transaction)
    direction: str  # "request" | "response"
    action: str | None
    capture: Capture | None = None  # None for a bare envelope
    line_offset: int = 0  # line of the envelope's first line in the capture, minus 1
    includes: dict[str, Part | None] = field(default_factory=dict)  # xop:Include/@href → the part it names (None: absent)

    @property
    def soap_version(self) -> str:
        return "1.2" if etree.QName(self.envelope).namespace == SOAP12 else "1.1"

    def line(self, element: etree._Element) -> int | None:
        """The element's line in the file as given (the capture's line when the envelope is a MIME part)."""
        return element.sourceline + self.line_offset if element.sourceline else None

    def content(self, holder: etree._Element) -> tuple[bytes | None, Part | None]:
        """The bytes an element carries: the MIME part of its xop:Include, else its base64 text decoded."""
        include = holder.find(f"{{{XOP}}}Include")
        if include is not None:
            part = self.includes.get(include.get("href", ""))
            return (part.data, part) if part is not None else (None, None)
        try:
            return base64.b64decode("".join((holder.text or "").split()), validate=True), None
        except (binascii.Error, ValueError):
            return None, None


def location(element: etree._Element, attribute: str | None = None) -> str:
    """An XPath naming the element with the usual prefixes, e.g. /s:Envelope/s:Body[1]/lcm:SubmitObjectsRequest[1]."""
    return xpath_location(element, attribute, _PREFIX)


def read_message(data: bytes, max_bytes: int) -> Message:
    """Read an XDS.b message (bare SOAP envelope or MTOM/XOP capture); raise `MessageError` when unreadable."""
    capture: Capture | None = None
    xml, offset = data, 0
    if looks_like_capture(data[:65536]):
        try:
            capture = parse_capture(data, max_bytes)
        except MimeError as exc:
            raise MessageError(f"capture MTOM illisible : {exc.fr}", f"unreadable MTOM capture: {exc.en}") from None
        xml = capture.root.data
        start = data.find(xml[:200].lstrip()) if xml.strip() else -1
        offset = data.count(b"\n", 0, start) if start >= 0 else 0
    try:
        tree = parse_xml(xml, max_bytes)
    except UnsafeOrInvalidXml as exc:
        line = exc.line + offset if exc.line else None
        raise MessageError(f"enveloppe SOAP illisible : {exc.fr}", f"unreadable SOAP envelope: {exc.en}", line) from None
    envelope = tree.getroot()
    qname = etree.QName(envelope)
    if qname.localname != "Envelope" or qname.namespace not in (SOAP12, SOAP11):
        raise MessageError(
            f"l'élément racine {envelope.tag!s} n'est pas une enveloppe SOAP",
            f"the root element {envelope.tag!s} is not a SOAP envelope",
            envelope.sourceline,
        )
    ns = qname.namespace
    header = envelope.find(f"{{{ns}}}Header")
    body = envelope.find(f"{{{ns}}}Body")
    payload = next(iter(body.iterchildren(etree.Element)), None) if body is not None else None
    action_element = header.find(f"{{{WSA}}}Action") if header is not None else None
    action = (action_element.text or "").strip() if action_element is not None else None
    if payload is None or payload.tag not in BODY_ELEMENTS:
        what = str(payload.tag) if payload is not None else "(vide/empty)"
        raise MessageError(
            f"le corps SOAP ({what}) n'est pas un message XDS.b reconnu", f"the SOAP body ({what}) is not a recognised XDS.b message"
        )
    transaction, direction = BODY_ELEMENTS[payload.tag]
    by_action = _BY_ACTION.get(action or "")
    if by_action and by_action[1] == direction and transaction in ("ITI-42", "RegistryResponse"):
        transaction = by_action[0]  # SubmitObjectsRequest of ITI-57; RegistryResponse of ITI-41/42/57
    message = Message(
        tree=tree,
        envelope=envelope,
        header=header,
        body=body,
        payload=payload,
        transaction=transaction,
        direction=direction,
        action=action,
        capture=capture,
        line_offset=offset,
    )
    for include in envelope.iter(f"{{{XOP}}}Include"):
        message.includes[include.get("href", "")] = capture.part(include.get("href", "")) if capture else None
    return message
