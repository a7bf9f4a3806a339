"""Validation of one XDS.b message file (validator "xds"): transport, metadata, documents.

1. read: MTOM/XOP capture or bare SOAP envelope, safe XML (unreadable → ABORTED with the reason);
2. transport: SOAP 1.2, WS-Addressing Action/MessageID/RelatesTo, MTOM/XOP and xop:Include references;
3. per transaction: ebRIM metadata (harness.xds.metadata), stored-query parameters, retrieve items,
   registry responses;
4. every CDA document carried by an ITI-41 request or an ITI-43 response: its consistency with its
   DocumentEntry (ITI-41) and its own validation as a child report.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from lxml import etree

from harness.config.packs import ProfilePack
from harness.core.fileio import sha256_hex
from harness.core.findings import ArtefactReport, Severity
from harness.core.verdicts import ArtefactVerdict
from harness.xds.consistency import check_consistency
from harness.xds.judge import Judge
from harness.xds.metadata import validate_metadata
from harness.xds.model import parse_metadata
from harness.xds.signature import check_signatures
from harness.xds.soap import ACTIONS, QUERY, RIM, RS, WSA, WSSE, XDSB, XOP, Message, MessageError, location, read_message

KIND = "xds"
_QUOTED = re.compile(r"^\(?\s*'[^']*'(\s*,\s*'[^']*')*\s*\)?$")
_MUST_UNDERSTAND = ("true", "1")


def judge_for(context: Any) -> Judge:
    """The judge of a `ValidationContext` (selected packs, else the default selection; data from every loaded pack)."""
    selected: list[ProfilePack] = list(context.selected or context.registry.select([]))
    return Judge.of(selected, context.registry.packs.values())


def validate_xds(data: bytes, path: str, context: Any) -> ArtefactReport:
    report = ArtefactReport(path=path, sha256=sha256_hex(data), size=len(data), kind=KIND, verdict=ArtefactVerdict.ABORTED)
    try:
        message = read_message(data, context.max_bytes)
    except MessageError as exc:
        where = f" (ligne {exc.line}) / " if exc.line else " / "
        report.reason = f"{exc.fr}{where}{exc.en}" + (f" (line {exc.line})" if exc.line else "")
        return report
    report.profile = f"{message.transaction} {message.direction}"
    judge = judge_for(context)
    _transport(message, judge)
    if message.direction == "request":
        _vihf(message, judge, context)
    documents: dict[str, bytes] = {}
    if message.transaction == "ITI-41" and message.direction == "request":
        documents = _provided_documents(message, judge)
    if message.direction == "request" and message.transaction in ("ITI-41", "ITI-42", "ITI-57"):
        metadata = parse_metadata(message.payload, message.line_offset)
        validate_metadata(metadata, message.transaction, judge, documents if message.transaction == "ITI-41" else None)
        if message.transaction == "ITI-41":
            _documents(message, metadata, documents, judge, report, path, context)
            check_signatures(metadata, documents, judge, getattr(context, "vihf_trust", None), context.max_bytes)
    elif message.transaction == "ITI-18":
        if message.direction == "request":
            _query(message, judge)
        else:
            _response(message, judge)
            objects = message.payload.find(f"{{{RIM}}}RegistryObjectList")
            if objects is not None and len(objects):
                validate_metadata(parse_metadata(objects, message.line_offset), "ITI-18", judge)
    elif message.transaction == "ITI-43":
        if message.direction == "request":
            _retrieve_request(message, judge)
        else:
            _response(message, judge)
            _retrieve_response(message, judge, report, path, context)
    else:  # RegistryResponse of ITI-41/42/57
        _response(message, judge)
    report.findings = judge.findings
    report.evaluated = judge.evaluated
    report.verdict = ArtefactReport.verdict_of(report.findings)
    return report


# -- transport ---------------------------------------------------------------------------------
def _transport(message: Message, judge: Judge) -> None:
    envelope = message.envelope
    if judge.evaluate("XDSB-SOAP-01"):
        if message.soap_version != "1.2":
            judge.fail(
                "XDSB-SOAP-01",
                "enveloppe SOAP 1.1 : SOAP 1.2 attendu",
                "SOAP 1.1 envelope: SOAP 1.2 expected",
                location(envelope),
                message.line(envelope),
            )
        if message.header is None:
            judge.fail("XDSB-SOAP-01", "en-tête SOAP (Header) absent", "SOAP Header missing", location(envelope), message.line(envelope))
    header = message.header
    action = header.find(f"{{{WSA}}}Action") if header is not None else None
    transaction = message.transaction
    expected = ACTIONS.get(transaction)
    where, line = (location(action), message.line(action)) if action is not None else (location(envelope), message.line(envelope))
    if judge.evaluate("XDSB-WSA-01"):
        if action is None:
            judge.fail("XDSB-WSA-01", "wsa:Action absent", "wsa:Action missing", where, line)
        elif expected and message.action != expected[0 if message.direction == "request" else 1]:
            wanted = expected[0 if message.direction == "request" else 1]
            judge.fail(
                "XDSB-WSA-01",
                f"wsa:Action « {message.action} » : « {wanted} » attendu pour {transaction}",
                f"wsa:Action '{message.action}': '{wanted}' expected for {transaction}",
                where,
                line,
            )
        elif expected is None:  # a RegistryResponse whose Action names no transaction
            judge.fail(
                "XDSB-WSA-01",
                f"wsa:Action « {message.action} » n'est l'action d'aucune réponse XDS.b",
                f"wsa:Action '{message.action}' is the action of no XDS.b response",
                where,
                line,
            )
    if action is not None and judge.evaluate("XDSB-WSA-03"):
        must = action.get(f"{{{etree.QName(envelope).namespace}}}mustUnderstand")
        if must not in _MUST_UNDERSTAND:
            judge.fail("XDSB-WSA-03", 'wsa:Action sans mustUnderstand="true"', 'wsa:Action without mustUnderstand="true"', where, line)
    if judge.evaluate("XDSB-WSA-02"):
        needed = "MessageID" if message.direction == "request" else "RelatesTo"
        found = header.find(f"{{{WSA}}}{needed}") if header is not None else None
        if found is None or not (found.text or "").strip():
            judge.fail(
                "XDSB-WSA-02",
                f"wsa:{needed} absent",
                f"wsa:{needed} missing",
                location(header if header is not None else envelope),
                message.line(header if header is not None else envelope),
            )
    _mtom(message, judge)


def _mtom(message: Message, judge: Judge) -> None:
    carries = (message.transaction, message.direction) in (("ITI-41", "request"), ("ITI-43", "response"))
    capture = message.capture
    if capture is not None and carries and judge.evaluate("XDSB-MTOM-01"):
        root_type = capture.root.content_type.lower().replace(" ", "")
        if capture.params.get("type", "").lower() != "application/xop+xml":
            judge.fail(
                "XDSB-MTOM-01",
                f"multipart/related de type « {capture.params.get('type', '')} » : application/xop+xml attendu",
                f"multipart/related of type '{capture.params.get('type', '')}': application/xop+xml expected",
                "Content-Type",
                1,
            )
        if not root_type.startswith("application/xop+xml") or 'type="application/soap+xml"' not in root_type:
            judge.fail(
                "XDSB-MTOM-01",
                f'partie racine « {capture.root.content_type} » : application/xop+xml; type="application/soap+xml" attendu',
                f"root part '{capture.root.content_type}': application/xop+xml; type=\"application/soap+xml\" expected",
                "Content-Type",
                capture.root.line,
            )
    includes = list(message.envelope.iter(f"{{{XOP}}}Include"))
    if includes and judge.evaluate("XDSB-MTOM-02"):
        for include in includes:
            href = include.get("href", "")
            if message.includes.get(href) is None:
                why_fr = "aucune partie MIME de ce Content-ID" if message.capture else "enveloppe seule, sans capture MIME"
                why_en = "no MIME part has this Content-ID" if message.capture else "envelope alone, no MIME capture"
                judge.fail(
                    "XDSB-MTOM-02",
                    f"xop:Include href=« {href} » non résolu : {why_fr}",
                    f"xop:Include href='{href}' unresolved: {why_en}",
                    location(include, "href"),
                    message.line(include),
                )


# -- VIHF (pack ci-sis-vihf, checks of harness.vihf) -------------------------------------------
VIHF_PLACEMENT, VIHF_TRUST = "CISIS-VIHF-01", "CISIS-VIHF-03"
SAML2 = "urn:oasis:names:tc:SAML:2.0:assertion"


def _vihf(message: Message, judge: Judge, context: Any) -> None:
    """The VIHF of a request's WS-Security header, judged at its own IssueInstant (a capture is a recording: its
    validity window and signing certificate are judged at the moment of the exchange, not today)."""
    if not judge.active(VIHF_PLACEMENT):
        return
    header = message.header
    assertion = header.find(f"{{{WSSE}}}Security/{{{SAML2}}}Assertion") if header is not None else None
    if assertion is None:
        judge.note(
            VIHF_PLACEMENT,
            "aucun VIHF dans l'en-tête WS-Security de la requête : VIHF non jugé",
            "no VIHF in the request's WS-Security header: VIHF not judged",
            location(header if header is not None else message.envelope),
            message.line(header if header is not None else message.envelope),
        )
        return
    issued = _instant(assertion.get("IssueInstant", ""))
    pack = context.registry.packs.get("ci-sis-vihf")
    trust = getattr(context, "vihf_trust", None)
    from harness.vihf.check import check_vihf  # signxml and cryptography, loaded with the first VIHF only

    vihf = check_vihf(message.envelope, trust, now=issued, settings=pack.settings if pack is not None else None)
    judge.evaluate(*sorted(vihf.evaluated))
    for finding in vihf.findings:
        line = finding.line + message.line_offset if finding.line else message.line(assertion)
        if finding.severity is Severity.INFO:
            judge.note(finding.requirement, finding.message_fr, finding.message_en, finding.location, line)
        else:
            judge.fail(finding.requirement, finding.message_fr, finding.message_en, finding.location, line)
    if trust is None:
        judge.note(
            VIHF_TRUST,
            "signataire du VIHF non jugé : aucun magasin de confiance fourni",
            "VIHF signer not judged: no trust store given",
            location(assertion),
            message.line(assertion),
        )


def _instant(value: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None  # judged by the VIHF checks themselves (CISIS-VIHF-08)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# -- ITI-41 documents --------------------------------------------------------------------------
def _provided_documents(message: Message, judge: Judge) -> dict[str, bytes]:
    """Document id → bytes of the ITI-41 request's Document elements (XDSB-DOC-01 on what is missing)."""
    found: dict[str, bytes] = {}
    judge.evaluate("XDSB-DOC-01")
    for element in message.payload.iterfind(f"{{{XDSB}}}Document"):
        identifier = element.get("id", "")
        content, _ = message.content(element)
        if identifier in found:
            judge.fail(
                "XDSB-DOC-01",
                f"deux éléments Document d'id « {identifier} »",
                f"two Document elements with id '{identifier}'",
                location(element),
                message.line(element),
            )
        if content is None and element.find(f"{{{XOP}}}Include") is not None:
            continue  # an unresolved xop:Include: XDSB-MTOM-02 says so
        if content is None:
            judge.fail(
                "XDSB-DOC-01",
                f"Document « {identifier} » sans contenu lisible",
                f"Document '{identifier}' without readable content",
                location(element),
                message.line(element),
            )
            continue
        found[identifier] = content
    return found


def _documents(
    message: Message, metadata: Any, documents: dict[str, bytes], judge: Judge, report: ArtefactReport, path: str, context: Any
) -> None:
    entries = {entry.id: entry for entry in metadata.documents}
    elements = {e.get("id", ""): e for e in message.payload.iterfind(f"{{{XDSB}}}Document")}
    for identifier, entry in entries.items():
        if identifier not in elements:
            judge.fail(
                "XDSB-DOC-01",
                f"fiche « {identifier} » sans élément Document",
                f"entry '{identifier}' without a Document element",
                entry.path,
                entry.line,
            )
    for identifier, element in elements.items():
        if identifier not in entries:
            judge.fail(
                "XDSB-DOC-01",
                f"Document « {identifier} » sans fiche document",
                f"Document '{identifier}' without a document entry",
                location(element),
                message.line(element),
            )
    for identifier, content in documents.items():
        entry = entries.get(identifier)
        if entry is not None and (entry.mime_type or "").endswith("xml"):
            _cda(content, f"{path}#Document[@id='{identifier}']", entry, judge, report, context, message.line(elements[identifier]))


def _cda(content: bytes, child_path: str, entry: Any, judge: Judge, report: ArtefactReport, context: Any, line: int | None) -> None:
    """Validate a carried CDA as a child report and, with its entry, check their consistency."""
    from harness.cda.parse import parse
    from harness.core.xmlsafe import UnsafeOrInvalidXml
    from harness.hl7v2.rules_cda import validate_embedded

    try:
        parsed = parse(content, context.max_bytes)
    except UnsafeOrInvalidXml as exc:
        judge.fail(
            "XDSFR-CDA-11",
            f"document {child_path} illisible : {exc.fr}",
            f"document {child_path} unreadable: {exc.en}",
            entry.path if entry else None,
            line,
        )
        return
    if parsed.document is None:
        return  # not a CDA document (another XML format): nothing to compare, nothing to validate as CDA
    if entry is not None:
        check_consistency(entry, parsed.document, judge)
    child = validate_embedded(content, child_path, context, parsed)
    report.children.append(child)
    if child.verdict is ArtefactVerdict.ABORTED:
        judge.note(
            "XDSFR-CDA-11",
            f"document CDA non validé : {child.reason}",
            f"CDA document not validated: {child.reason}",
            entry.path if entry else None,
            line,
        )
    elif judge.evaluate("XDSFR-CDA-11") and child.verdict is ArtefactVerdict.FAILED:
        judge.fail(
            "XDSFR-CDA-11",
            f"le document CDA {child_path} est non conforme (voir le rapport imbriqué)",
            f"the CDA document {child_path} is not conformant (see the nested report)",
            entry.path if entry else None,
            line,
        )


# -- ITI-18 ------------------------------------------------------------------------------------
def _query(message: Message, judge: Judge) -> None:
    payload = message.payload
    assert payload is not None
    option = payload.find(f"{{{QUERY}}}ResponseOption")
    query = payload.find(f"{{{RIM}}}AdhocQuery")
    stored = judge.data.get("stored_queries", {})
    if judge.evaluate("XDSB-Q-01"):
        if option is None or option.get("returnType") not in ("LeafClass", "ObjectRef"):
            judge.fail(
                "XDSB-Q-01",
                "ResponseOption returnType LeafClass ou ObjectRef attendu",
                "ResponseOption returnType LeafClass or ObjectRef expected",
                location(option if option is not None else payload),
                message.line(option if option is not None else payload),
            )
        if query is None or query.get("id") not in stored:
            identifier = query.get("id") if query is not None else None
            judge.fail(
                "XDSB-Q-01",
                f"AdhocQuery id « {identifier} » : aucune requête enregistrée connue",
                f"AdhocQuery id '{identifier}': no known stored query",
                location(query if query is not None else payload),
                message.line(query if query is not None else payload),
            )
    if query is None or query.get("id") not in stored or not judge.evaluate("XDSB-Q-02"):
        return
    spec = stored[query.get("id")]
    slots = {s.get("name", ""): s for s in query.iterfind(f"{{{RIM}}}Slot")}
    for needed in spec.get("required", []):
        names = needed if isinstance(needed, list) else [needed]
        if not any(n in slots for n in names):
            judge.fail(
                "XDSB-Q-02",
                f"{spec['name']} : paramètre {' ou '.join(names)} absent",
                f"{spec['name']}: parameter {' or '.join(names)} missing",
                location(query),
                message.line(query),
            )
    for name, slot in slots.items():
        for value in slot.iterfind(f"{{{RIM}}}ValueList/{{{RIM}}}Value"):
            text = (value.text or "").strip()
            if not _QUOTED.match(text) and not text.lstrip("-").isdigit():
                judge.fail(
                    "XDSB-Q-02",
                    f"{name} : valeur « {text} » sans apostrophes",
                    f"{name}: value '{text}' not in single quotes",
                    location(value),
                    message.line(value),
                )


# -- responses ---------------------------------------------------------------------------------
def _response(message: Message, judge: Judge) -> None:
    payload = message.payload
    assert payload is not None
    response = (
        payload
        if payload.tag == f"{{{RS}}}RegistryResponse" or payload.tag == f"{{{QUERY}}}AdhocQueryResponse"
        else payload.find(f"{{{RS}}}RegistryResponse")
    )
    if not judge.evaluate("XDSB-RSP-01"):
        return
    if response is None:
        judge.fail("XDSB-RSP-01", "RegistryResponse absent", "RegistryResponse missing", location(payload), message.line(payload))
        return
    status = response.get("status", "")
    if status not in judge.data.get("response_statuses", []):
        judge.fail(
            "XDSB-RSP-01",
            f"status « {status} » inconnu",
            f"unknown status '{status}'",
            location(response, "status"),
            message.line(response),
        )
    errors = response.findall(f"{{{RS}}}RegistryErrorList/{{{RS}}}RegistryError")
    if status.endswith(("Failure", "PartialSuccess")) and not errors:
        judge.fail(
            "XDSB-RSP-01",
            f"status {status.rsplit(':', 1)[-1]} sans RegistryError",
            f"status {status.rsplit(':', 1)[-1]} without a RegistryError",
            location(response),
            message.line(response),
        )
    severities = judge.data.get("error_severities", [])
    for error in errors:
        if not error.get("errorCode") or error.get("severity") not in severities:
            judge.fail(
                "XDSB-RSP-01",
                "RegistryError sans errorCode ou severity valide",
                "RegistryError without an errorCode or a valid severity",
                location(error),
                message.line(error),
            )
        if status.endswith("Success") and not status.endswith("PartialSuccess") and error.get("severity", "").endswith("Error"):
            judge.fail(
                "XDSB-RSP-01",
                "status Success avec une erreur de sévérité Error",
                "status Success with an error of severity Error",
                location(error),
                message.line(error),
            )


# -- ITI-43 ------------------------------------------------------------------------------------
def _retrieve_request(message: Message, judge: Judge) -> None:
    if not judge.evaluate("XDSB-RET-01"):
        return
    requests = message.payload.findall(f"{{{XDSB}}}DocumentRequest")
    if not requests:
        judge.fail("XDSB-RET-01", "aucun DocumentRequest", "no DocumentRequest", location(message.payload), message.line(message.payload))
    for request in requests:
        for name in ("RepositoryUniqueId", "DocumentUniqueId"):
            found = request.find(f"{{{XDSB}}}{name}")
            if found is None or not (found.text or "").strip():
                judge.fail(
                    "XDSB-RET-01",
                    f"DocumentRequest sans {name}",
                    f"DocumentRequest without {name}",
                    location(request),
                    message.line(request),
                )


def _retrieve_response(message: Message, judge: Judge, report: ArtefactReport, path: str, context: Any) -> None:
    judge.evaluate("XDSB-RET-02")
    for index, response in enumerate(message.payload.iterfind(f"{{{XDSB}}}DocumentResponse"), start=1):
        for name in ("RepositoryUniqueId", "DocumentUniqueId", "mimeType", "Document"):
            found = response.find(f"{{{XDSB}}}{name}")
            if found is None or (name != "Document" and not (found.text or "").strip()):
                judge.fail(
                    "XDSB-RET-02",
                    f"DocumentResponse sans {name}",
                    f"DocumentResponse without {name}",
                    location(response),
                    message.line(response),
                )
        document = response.find(f"{{{XDSB}}}Document")
        mime = response.findtext(f"{{{XDSB}}}mimeType") or ""
        if document is None:
            continue
        content, _ = message.content(document)
        if content is None and document.find(f"{{{XOP}}}Include") is not None:
            continue  # an unresolved xop:Include: XDSB-MTOM-02 says so
        if content is None:
            judge.fail(
                "XDSB-RET-02",
                "Document sans contenu lisible",
                "Document without readable content",
                location(document),
                message.line(document),
            )
        elif mime.strip().endswith("xml"):
            _cda(content, f"{path}#DocumentResponse[{index}]", None, judge, report, context, message.line(document))
