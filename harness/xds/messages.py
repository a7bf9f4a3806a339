"""XDS.b messages built with lxml (the harness crafts wrong ones too, so no WSDL client): SOAP 1.2 envelopes with
WS-Addressing and the VIHF, MTOM/XOP packaging, ebRIM 3.0 metadata, and the reading of the answers.

Shared by the reference simulator (which answers) and the xds endpoint suite (which asks). Scheme UUIDs and
codes are IHE ITI TF-3 §4 facts.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

from lxml import etree

from harness.core.errors import HarnessError
from harness.core.xmlsafe import UnsafeOrInvalidXml, parse_xml
from harness.xds.mime import MimeError, parse_capture

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://www.w3.org/2005/08/addressing"
XDSB = "urn:ihe:iti:xds-b:2007"
LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
RS = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0"
QUERY = "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0"
XOP = "http://www.w3.org/2004/08/xop/include"
NS = {"soap": SOAP12, "wsa": WSA, "xdsb": XDSB, "lcm": LCM, "rim": RIM, "rs": RS, "query": QUERY, "xop": XOP}

ITI41 = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
ITI18 = "urn:ihe:iti:2007:RegistryStoredQuery"
ITI43 = "urn:ihe:iti:2007:RetrieveDocumentSet"
ITI57 = "urn:ihe:iti:2010:UpdateDocumentSet"
ACTIONS = {ITI41: "ITI-41", ITI18: "ITI-18", ITI43: "ITI-43", ITI57: "ITI-57"}

SUCCESS = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
FAILURE = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"
ERROR_SEVERITY = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"
APPROVED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"
DEPRECATED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated"
ARCHIVED = "urn:asip:ci-sis:2010:StatusType:Archived"  # DMP TD3.3d
DELETED = "urn:asip:ci-sis:2010:StatusType:Deleted"  # DMP TD3.3c: logical deletion only

DOCUMENT_ENTRY = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
SUBMISSION_SET = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
HAS_MEMBER = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"
RPLC = "urn:ihe:iti:2007:AssociationType:RPLC"
UPDATE_STATUS = "urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus"
FIND_DOCUMENTS = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"
GET_DOCUMENTS = "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4"
# classification and external identifier schemes
CLASS_CODE = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
CONFIDENTIALITY = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
FORMAT_CODE = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
FACILITY_TYPE = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
PRACTICE_SETTING = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
TYPE_CODE = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
CONTENT_TYPE = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
DOC_PATIENT_ID = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
DOC_UNIQUE_ID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
SET_PATIENT_ID = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
SET_UNIQUE_ID = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
SET_SOURCE_ID = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
MASQUE_PS = ("MASQUE_PS", "1.2.250.1.213.1.1.4.13")  # J58 ConfidentialityCode-DMP, TRE_A07
NORMAL = ("N", "2.16.840.1.113883.5.25")
MAX_PARTS = 64
CREATION_TIME = "20260101120000"  # of the generated test documents (UTC)


class XdsMessageError(HarnessError):
    """A request or response the XDS code cannot read (the reason in French and English)."""


def xds_patient_id(matricule: str, authority: str = "1.2.250.1.213.1.4.10") -> str:
    """An INS as XDS metadata carries it (patientId, sourcePatientId): CX components 1 and 4, `INS^^^&<OID>&ISO`
    (the VIHF's resource-id adds the type, ^NH). Default authority: the test INS-NIR."""
    return f"{matricule}^^^&{authority}&ISO"


def new_oid(root: str = "1.2.250.1.999.9") -> str:
    """A fresh unique OID under the harness's test arc (uniqueIds of test documents and submission sets)."""
    return f"{root}.{uuid.uuid4().int % 10**20}.{secrets.randbelow(10**6)}"


# -- SOAP / MTOM -----------------------------------------------------------------------------------------

def envelope(action: str, body: etree._Element, security: etree._Element | None = None, to: str = "") -> etree._Element:
    env = etree.Element(f"{{{SOAP12}}}Envelope", nsmap={"soap": SOAP12, "wsa": WSA})
    header = etree.SubElement(env, f"{{{SOAP12}}}Header")
    for name, value in (("Action", action), ("MessageID", f"urn:uuid:{uuid.uuid4()}"), ("To", to)):
        if value:
            element = etree.SubElement(header, f"{{{WSA}}}{name}")
            element.text = value
            if name == "Action":
                element.set(f"{{{SOAP12}}}mustUnderstand", "1")
    if security is not None:
        header.append(security)
    etree.SubElement(env, f"{{{SOAP12}}}Body").append(body)
    return env


@dataclass
class Packed:
    content_type: str
    body: bytes


def mtom(root: etree._Element, attachments: dict[str, bytes], action: str) -> Packed:
    """The envelope and its attachments as multipart/related MTOM/XOP (Content-ID → bytes, referenced by xop:Include)."""
    boundary = f"MIMEBoundary_{secrets.token_hex(12)}"
    start = f"<root.{secrets.token_hex(6)}@enrs-harness>"
    parts = [(f"Content-Type: application/xop+xml; charset=UTF-8; type=\"application/soap+xml\"\r\n"
              f"Content-Transfer-Encoding: binary\r\nContent-ID: {start}\r\n\r\n").encode()
             + etree.tostring(root, xml_declaration=True, encoding="UTF-8")]
    for cid, data in attachments.items():
        parts.append(f"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <{cid}>\r\n\r\n".encode()
                     + data)
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts) + b"--" + boundary.encode() + b"--\r\n"
    content_type = (f'multipart/related; boundary="{boundary}"; type="application/xop+xml"; start="{start}"; '
                    f'start-info="application/soap+xml"; action="{action}"')
    return Packed(content_type, body)


def plain(root: etree._Element, action: str) -> Packed:
    return Packed(f'application/soap+xml; charset=UTF-8; action="{action}"', etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@dataclass
class Unpacked:
    root: etree._Element
    attachments: dict[str, bytes] = field(default_factory=dict)

    def header(self, namespace: str, name: str) -> str | None:
        element = self.root.find(f"{{{SOAP12}}}Header/{{{namespace}}}{name}")
        return (element.text or "").strip() if element is not None else None

    @property
    def action(self) -> str | None:
        return self.header(WSA, "Action")

    def body(self) -> etree._Element | None:
        body = self.root.find(f"{{{SOAP12}}}Body")
        return next((c for c in body if isinstance(c.tag, str)), None) if body is not None else None

    def document(self, holder: etree._Element) -> bytes | None:
        """The bytes of an xdsb:Document (xop:Include → attachment, else inline base64)."""
        include = holder.find(f"{{{XOP}}}Include")
        if include is not None:
            return self.attachments.get(unquote((include.get("href") or "").removeprefix("cid:")))
        try:
            return base64.b64decode("".join((holder.text or "").split()), validate=True)
        except ValueError:
            return None


def unpack(content_type: str, body: bytes, max_bytes: int) -> Unpacked:
    """Read a SOAP message: plain application/soap+xml, or MTOM multipart/related split by harness.xds.mime (the
    artefact validator's MIME reader, which keeps each part's bytes); raises XdsMessageError with the reason."""
    try:
        if content_type.lower().startswith("multipart/related"):
            capture = parse_capture(f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body, max_bytes)
            root = parse_xml(capture.root.data, max_bytes).getroot()
            return Unpacked(root, {p.content_id: p.data for p in capture.parts[:MAX_PARTS] if p.content_id and p is not capture.root})
        return Unpacked(parse_xml(body, max_bytes).getroot())
    except MimeError as exc:
        raise XdsMessageError(f"message MTOM illisible : {exc.fr}", f"unreadable MTOM message: {exc.en}") from None
    except UnsafeOrInvalidXml as exc:
        raise XdsMessageError(f"enveloppe SOAP illisible : {exc.fr}", f"unreadable SOAP envelope: {exc.en}") from None


# -- ebRIM -----------------------------------------------------------------------------------------------

def slot(parent: etree._Element, name: str, values: Iterable[str]) -> etree._Element:
    element = etree.SubElement(parent, f"{{{RIM}}}Slot", name=name)
    holder = etree.SubElement(element, f"{{{RIM}}}ValueList")
    for value in values:
        etree.SubElement(holder, f"{{{RIM}}}Value").text = value
    return element


def _name(parent: etree._Element, text: str) -> None:
    etree.SubElement(etree.SubElement(parent, f"{{{RIM}}}Name"), f"{{{RIM}}}LocalizedString", value=text)


def classification(parent: etree._Element, scheme: str, code: str, system: str, display: str = "") -> etree._Element:
    element = etree.SubElement(parent, f"{{{RIM}}}Classification", id=f"urn:uuid:{uuid.uuid4()}", classificationScheme=scheme,
                               classifiedObject=parent.get("id") or "", nodeRepresentation=code,
                               objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification")
    slot(element, "codingScheme", [system])
    _name(element, display or code)
    return element


def external_id(parent: etree._Element, scheme: str, value: str, name: str) -> None:
    element = etree.SubElement(parent, f"{{{RIM}}}ExternalIdentifier", id=f"urn:uuid:{uuid.uuid4()}", identificationScheme=scheme,
                               registryObject=parent.get("id") or "", value=value,
                               objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier")
    _name(element, name)


def slot_values(element: etree._Element, name: str) -> list[str]:
    return [v.text or "" for v in element.iterfind(f"{{{RIM}}}Slot[@name='{name}']/{{{RIM}}}ValueList/{{{RIM}}}Value")]


def external_value(element: etree._Element, scheme: str) -> str | None:
    found = element.find(f"{{{RIM}}}ExternalIdentifier[@identificationScheme='{scheme}']")
    return found.get("value") if found is not None else None


def codes(element: etree._Element, scheme: str) -> list[tuple[str, str]]:
    """(code, codingScheme) of the classifications of `element` in `scheme`."""
    return [(c.get("nodeRepresentation") or "", (slot_values(c, "codingScheme") or [""])[0])
            for c in element.iterfind(f"{{{RIM}}}Classification[@classificationScheme='{scheme}']")]


@dataclass
class TestDocument:
    """A generated test document and its metadata values (fresh unique ids each time)."""

    patient_id: str
    content: bytes
    unique_id: str = field(default_factory=new_oid)
    set_unique_id: str = field(default_factory=new_oid)
    source_id: str = "1.2.250.1.999.9.1"
    entry_id: str = field(default_factory=lambda: f"urn:uuid:{uuid.uuid4()}")
    confidentiality: tuple[tuple[str, str], ...] = (NORMAL,)
    mime_type: str = "text/xml"


def generated_document(patient_id: str) -> TestDocument:
    """A small CDA-like test document whose id, patient, effectiveTime and language agree with its metadata."""
    unique = new_oid()
    matricule, _, rest = patient_id.partition("^^^&")
    authority = rest.split("&")[0]
    content = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="{unique}"/>'
               f'<title>Document de test enrs-harness {secrets.token_hex(4)}</title><effectiveTime value="{CREATION_TIME}+0000"/>'
               f'<languageCode code="fr-FR"/><recordTarget><patientRole><id root="{authority}" extension="{matricule}"/>'
               f'</patientRole></recordTarget></ClinicalDocument>\n').encode()
    return TestDocument(patient_id, content, unique_id=unique)


def document_entry(parent: etree._Element, doc: TestDocument, omit: frozenset[str] = frozenset(),
                   document_patient: str | None = None, hash_value: str | None = None) -> etree._Element:
    """An ExtrinsicObject for `doc`; `omit` names metadata left out (to build wrong submissions)."""
    entry = etree.SubElement(parent, f"{{{RIM}}}ExtrinsicObject", id=doc.entry_id, mimeType=doc.mime_type, objectType=DOCUMENT_ENTRY)
    slots = {"creationTime": [CREATION_TIME], "languageCode": ["fr-FR"], "sourcePatientId": [doc.patient_id]}
    if hash_value is not None:
        slots["hash"] = [hash_value]
    for name, values in slots.items():
        if name not in omit:
            slot(entry, name, values)
    _name(entry, "Document de test enrs-harness")
    coded = [("classCode", CLASS_CODE, "10", "1.2.250.1.213.1.1.4.1", "Compte rendu"),
             ("typeCode", TYPE_CODE, "11488-4", "2.16.840.1.113883.6.1", "Note de consultation"),
             ("formatCode", FORMAT_CODE, "urn:ihe:iti:xds-sd:text:2008", "1.3.6.1.4.1.19376.1.2.3", "Document à corps non structuré"),
             ("healthcareFacilityTypeCode", FACILITY_TYPE, "SA07", "1.2.250.1.71.4.2.4", "Cabinet individuel"),
             ("practiceSettingCode", PRACTICE_SETTING, "AMBULATOIRE", "1.2.250.1.213.1.1.4.9", "Ambulatoire")]
    for name, scheme, code, system, display in coded:
        if name not in omit:
            classification(entry, scheme, code, system, display)
    if "confidentialityCode" not in omit:
        for code, system in doc.confidentiality:
            classification(entry, CONFIDENTIALITY, code, system)
    if "patientId" not in omit:
        external_id(entry, DOC_PATIENT_ID, document_patient or doc.patient_id, "XDSDocumentEntry.patientId")
    if "uniqueId" not in omit:
        external_id(entry, DOC_UNIQUE_ID, doc.unique_id, "XDSDocumentEntry.uniqueId")
    return entry


def submission_set(parent: etree._Element, doc: TestDocument, set_id: str) -> etree._Element:
    package = etree.SubElement(parent, f"{{{RIM}}}RegistryPackage", id=set_id,
                               objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage")
    slot(package, "submissionTime", ["20260101120500"])
    _name(package, "Lot de soumission enrs-harness")
    classification(package, CONTENT_TYPE, "04", "1.2.250.1.213.1.1.4.12", "Hospitalisation de jour")
    etree.SubElement(parent, f"{{{RIM}}}Classification", id=f"urn:uuid:{uuid.uuid4()}", classifiedObject=set_id,
                     classificationNode=SUBMISSION_SET,
                     objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification")
    external_id(package, SET_UNIQUE_ID, doc.set_unique_id, "XDSSubmissionSet.uniqueId")
    external_id(package, SET_SOURCE_ID, doc.source_id, "XDSSubmissionSet.sourceId")
    external_id(package, SET_PATIENT_ID, doc.patient_id, "XDSSubmissionSet.patientId")
    return package


def association(parent: etree._Element, kind: str, source: str, target: str, slots: dict[str, str] | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{RIM}}}Association", id=f"urn:uuid:{uuid.uuid4()}", associationType=kind,
                               sourceObject=source, targetObject=target,
                               objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association")
    for name, value in (slots or {}).items():
        slot(element, name, [value])
    return element


def provide_and_register(doc: TestDocument, replaces: str | None = None, omit: frozenset[str] = frozenset(),
                         document_patient: str | None = None, hash_value: str | None = None) -> tuple[etree._Element, dict[str, bytes]]:
    """The body of an ITI-41 request for `doc` (replacing the entry `replaces` when given) and its attachment."""
    request = etree.Element(f"{{{XDSB}}}ProvideAndRegisterDocumentSetRequest", nsmap={"xdsb": XDSB, "lcm": LCM, "rim": RIM})
    objects = etree.SubElement(etree.SubElement(request, f"{{{LCM}}}SubmitObjectsRequest"), f"{{{RIM}}}RegistryObjectList")
    set_id = f"urn:uuid:{uuid.uuid4()}"
    document_entry(objects, doc, omit, document_patient, hash_value)
    submission_set(objects, doc, set_id)
    association(objects, HAS_MEMBER, set_id, doc.entry_id, {"SubmissionSetStatus": "Original"})
    if replaces:
        association(objects, RPLC, doc.entry_id, replaces)
    cid = f"doc.{secrets.token_hex(6)}@enrs-harness"
    holder = etree.SubElement(request, f"{{{XDSB}}}Document", id=doc.entry_id)
    etree.SubElement(holder, f"{{{XOP}}}Include", href=f"cid:{cid}", nsmap={"xop": XOP})
    return request, {cid: doc.content}


def stored_query(query_id: str, parameters: dict[str, list[str]]) -> etree._Element:
    """An ITI-18 AdhocQueryRequest (LeafClass); parameter values are written as given (quoted by the caller)."""
    request = etree.Element(f"{{{QUERY}}}AdhocQueryRequest", nsmap={"query": QUERY, "rim": RIM})
    etree.SubElement(request, f"{{{QUERY}}}ResponseOption", returnComposedObjects="true", returnType="LeafClass")
    query = etree.SubElement(request, f"{{{RIM}}}AdhocQuery", id=query_id)
    for name, values in parameters.items():
        slot(query, name, values)
    return request


def find_documents(patient_id: str, statuses: Iterable[str] = (APPROVED,)) -> etree._Element:
    return stored_query(FIND_DOCUMENTS, {"$XDSDocumentEntryPatientId": [f"'{patient_id}'"],
                                         "$XDSDocumentEntryStatus": ["(" + ",".join(f"'{s}'" for s in statuses) + ")"]})


def get_documents(entry_ids: Iterable[str]) -> etree._Element:
    return stored_query(GET_DOCUMENTS, {"$XDSDocumentEntryEntryUUID": ["(" + ",".join(f"'{e}'" for e in entry_ids) + ")"]})


def retrieve(repository_id: str, unique_id: str) -> etree._Element:
    request = etree.Element(f"{{{XDSB}}}RetrieveDocumentSetRequest", nsmap={"xdsb": XDSB})
    item = etree.SubElement(request, f"{{{XDSB}}}DocumentRequest")
    etree.SubElement(item, f"{{{XDSB}}}RepositoryUniqueId").text = repository_id
    etree.SubElement(item, f"{{{XDSB}}}DocumentUniqueId").text = unique_id
    return request


def update_status(doc: TestDocument, entry_id: str, original: str, new: str) -> etree._Element:
    """An ITI-57 request changing the availabilityStatus of `entry_id` (archive, delete…)."""
    request = etree.Element(f"{{{LCM}}}SubmitObjectsRequest", nsmap={"lcm": LCM, "rim": RIM})
    objects = etree.SubElement(request, f"{{{RIM}}}RegistryObjectList")
    set_id = f"urn:uuid:{uuid.uuid4()}"
    submission_set(objects, dataclass_copy(doc), set_id)
    association(objects, UPDATE_STATUS, set_id, entry_id, {"OriginalStatus": original, "NewStatus": new})
    return request


def update_metadata(doc: TestDocument, lid: str, previous_version: str, repository_id: str) -> etree._Element:
    """An ITI-57 request giving the entry of logical id `lid` a new metadata version (doc's confidentiality: masking).
    The new version is a whole DocumentEntry: hash, size and repositoryUniqueId included."""
    request = etree.Element(f"{{{LCM}}}SubmitObjectsRequest", nsmap={"lcm": LCM, "rim": RIM})
    objects = etree.SubElement(request, f"{{{RIM}}}RegistryObjectList")
    set_id = f"urn:uuid:{uuid.uuid4()}"
    version = dataclass_copy(doc)
    version.entry_id = f"urn:uuid:{uuid.uuid4()}"
    entry = document_entry(objects, version, hash_value=hashlib.sha1(doc.content).hexdigest())  # XDS's hash is SHA-1
    entry.set("lid", lid)
    slot(entry, "size", [str(len(doc.content))])
    slot(entry, "repositoryUniqueId", [repository_id])
    submission_set(objects, dataclass_copy(doc), set_id)
    association(objects, HAS_MEMBER, set_id, version.entry_id, {"SubmissionSetStatus": "Original", "PreviousVersion": previous_version})
    return request


def dataclass_copy(doc: TestDocument) -> TestDocument:
    """The same document in a new submission set (fresh set uniqueId)."""
    import dataclasses

    return dataclasses.replace(doc, set_unique_id=new_oid())


# -- answers ---------------------------------------------------------------------------------------------

@dataclass
class RegistryResponse:
    status: str
    errors: list[tuple[str, str]]  # (errorCode, codeContext)
    entries: list[etree._Element] = field(default_factory=list)  # ExtrinsicObjects of a query response
    documents: list[tuple[str, str, bytes | None]] = field(default_factory=list)  # (uniqueId, mimeType, bytes) of a retrieve
    fault: str | None = None  # a SOAP fault's code and reason

    @property
    def success(self) -> bool:
        return self.status == SUCCESS

    def codes(self) -> list[str]:
        return [code for code, _ in self.errors]


def read_response(message: Unpacked) -> RegistryResponse:
    body = message.body()
    if body is None:
        raise XdsMessageError("réponse SOAP sans corps", "SOAP response without a body")
    if body.tag == f"{{{SOAP12}}}Fault":
        code = " ".join(v.text or "" for v in body.iter(f"{{{SOAP12}}}Value"))
        reason = " ".join(t.text or "" for t in body.iter(f"{{{SOAP12}}}Text"))
        return RegistryResponse(FAILURE, [], fault=f"{code}: {reason}".strip())
    registry = body if body.tag == f"{{{RS}}}RegistryResponse" else body.find(f"{{{RS}}}RegistryResponse")
    holder = registry if registry is not None else body
    errors = [(e.get("errorCode") or "", e.get("codeContext") or "") for e in holder.iter(f"{{{RS}}}RegistryError")]
    response = RegistryResponse(holder.get("status") or body.get("status") or "", errors)
    response.entries = list(body.iter(f"{{{RIM}}}ExtrinsicObject"))
    for item in body.iterfind(f"{{{XDSB}}}DocumentResponse"):
        holder_doc = item.find(f"{{{XDSB}}}Document")
        response.documents.append(((item.findtext(f"{{{XDSB}}}DocumentUniqueId") or "").strip(), item.findtext(f"{{{XDSB}}}mimeType") or "",
                                   message.document(holder_doc) if holder_doc is not None else None))
    return response
