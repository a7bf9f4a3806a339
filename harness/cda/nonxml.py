"""N1 documents: exactly the three header templateIds (XDS-SD included) and a nonXMLBody carrying a base64 PDF
(pack ci-sis-cda-header, §3)."""

from __future__ import annotations

from lxml import etree

from harness.cda.common import require_value, templates
from harness.cda.data import CdaData
from harness.cda.engine import Doc, Out, rule
from harness.cda.pdf import Ends, base64_ends, looks_like_pdf
from harness.cda.xpath import q


def _is_n1(doc: Doc) -> bool:
    return doc.is_n1


def _payload(doc: Doc, text: etree._Element) -> Ends | None:
    if text not in doc.decoded:
        doc.decoded[text] = base64_ends(text.text)
    return doc.decoded[text]


def _texts(doc: Doc) -> list[etree._Element]:
    return q(doc.root, "cda:component/cda:nonXMLBody/cda:text")


@rule("SM-N1-PDF-MEDIATYPE", when=_is_n1)
def n1_media_type(doc: Doc, data: CdaData, out: Out) -> None:
    for text in _texts(doc):
        require_value(out, text, "mediaType", data.const("n1_media_types"))
        require_value(out, text, "representation", "B64")


@rule("SM-N1-PDF-BASE64", when=_is_n1)
def n1_base64(doc: Doc, data: CdaData, out: Out) -> None:
    for text in _texts(doc):
        if text.get("representation") == "B64" and _payload(doc, text) is None:
            out.fail(text, "le contenu de nonXMLBody/text n'est pas du base64 valide", "the content of nonXMLBody/text is not valid base64")


@rule("SM-N1-PDF-CONTENT", when=_is_n1)
def n1_pdf(doc: Doc, data: CdaData, out: Out) -> None:
    for text in _texts(doc):
        if text.get("representation") != "B64" or text.get("mediaType") != "application/pdf":
            continue
        payload = _payload(doc, text)
        if payload is not None and not looks_like_pdf(payload):
            out.fail(text, "le contenu décodé de nonXMLBody/text n'est pas un PDF (en-tête %PDF- et fin %%EOF attendus)",
                     "the decoded content of nonXMLBody/text is not a PDF (%PDF- header and %%EOF trailer expected)")


@rule("SM-N1-TEMPLATEIDS", when=_is_n1)
def n1_template_ids(doc: Doc, data: CdaData, out: Out) -> None:
    allowed = [data.const("template_hl7fr"), data.const("template_cisis"), data.const("template_xdssd")]
    roots = [t.get("root") for t in templates(doc)]
    if data.const("template_xdssd") not in roots:
        out.fail(doc.root, f"document N1 : templateId XDS-SD {data.const('template_xdssd')} obligatoire",
                 f"N1 document: XDS-SD templateId {data.const('template_xdssd')} is required")
    for template in templates(doc):
        if template.get("root") not in allowed:
            out.fail(template, f"document N1 : seuls les templateId {', '.join(allowed)} sont autorisés",
                     f"N1 document: only templateIds {', '.join(allowed)} are allowed", "root")
