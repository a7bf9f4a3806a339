"""Writes the project's own XDS.b fixtures (fixtures/conforming/xds/) from the rules of ITI TF-2/TF-3 and the CI-SIS.

Run `python tests/xds/xds_make_fixtures.py` to regenerate them. The document carried is the project's
synthetic CR-BIO (fixtures/conforming/cda/cr-bio-2024.xml): test INS, fictitious professionals.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CDA = ROOT / "fixtures" / "conforming" / "cda" / "cr-bio-2024.xml"
OUT = ROOT / "fixtures" / "conforming" / "xds"

BOUNDARY = "MIMEBoundary_enrs_0001"
PATIENT = "279035121518989^^^&amp;1.2.250.1.213.1.4.10&amp;ISO"
SOURCE_PATIENT = "IPP-000004^^^&amp;1.2.250.1.999.2.1&amp;ISO"
AUTHOR_PERSON = "801234567897^MEDECIN-ESSAI^Jean^^^^^^&amp;1.2.250.1.71.4.2.1&amp;ISO^D^^^IDNPS"
AUTHOR_INSTITUTION = "Cabinet médical Exemple^^^^^&amp;1.2.250.1.71.4.2.2&amp;ISO^IDNST^^^1750000000"
DOCUMENT_UID = "1.2.250.1.999.1.1^DOC-0004-2"
REPOSITORY = "1.2.250.1.999.7.1"
ENTRY_UUID = "urn:uuid:6f0d3b2a-1c5e-4a8b-9d7f-2e4c6a8b0d1f"
FORMAT_CODE = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
FACILITY_CODE = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
PRACTICE_CODE = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
TYPE_CODE = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
CONTENT_TYPE_CODE = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
LOINC, CR_BIO = "2.16.840.1.113883.6.1", "CR d&apos;examens biologiques"

NS = (
    'xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" '
    'xmlns:xdsb="urn:ihe:iti:xds-b:2007" xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" '
    'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0" xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0" '
    'xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" xmlns:xop="http://www.w3.org/2004/08/xop/include"'
)


def slot(name: str, *values: str) -> str:
    return (
        f'<rim:Slot name="{name}"><rim:ValueList>' + "".join(f"<rim:Value>{v}</rim:Value>" for v in values) + "</rim:ValueList></rim:Slot>"
    )


def name(text: str) -> str:
    return f'<rim:Name><rim:LocalizedString value="{text}"/></rim:Name>'


def coded(cid: str, scheme: str, obj: str, code: str, system: str, display: str) -> str:
    return (
        f'<rim:Classification id="{cid}" classificationScheme="{scheme}" classifiedObject="{obj}" nodeRepresentation="{code}">'
        f"{slot('codingScheme', system)}{name(display)}</rim:Classification>"
    )


def external(eid: str, scheme: str, obj: str, value: str, label: str) -> str:
    return (
        f'<rim:ExternalIdentifier id="{eid}" identificationScheme="{scheme}" registryObject="{obj}" value="{value}">'
        f"{name(label)}</rim:ExternalIdentifier>"
    )


def author(cid: str, scheme: str, obj: str) -> str:
    return (
        f'<rim:Classification id="{cid}" classificationScheme="{scheme}" classifiedObject="{obj}" nodeRepresentation="">'
        f"{slot('authorPerson', AUTHOR_PERSON)}{slot('authorInstitution', AUTHOR_INSTITUTION)}"
        f"{slot('authorSpecialty', 'G15_10/SM54^Médecine générale (SM)^1.2.250.1.213.1.1.4.5')}</rim:Classification>"
    )


def document_entry(entry: str, cda: bytes, registry_side: bool, status: str = "", hashed: bool = False) -> str:
    """A DocumentEntry for the CR-BIO: `registry_side` adds hash, size and repositoryUniqueId, `hashed` only hash and size."""
    extra = slot("hash", hashlib.sha1(cda).hexdigest()) + slot("size", str(len(cda))) if registry_side or hashed else ""
    extra += slot("repositoryUniqueId", REPOSITORY) if registry_side else ""
    status_attr = f' status="{status}"' if status else ""
    return (
        f'<rim:ExtrinsicObject id="{entry}" mimeType="text/xml" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"{status_attr}>\n'
        f"      {slot('creationTime', '20250312133000')}\n      {slot('languageCode', 'fr-FR')}\n"
        f"      {slot('legalAuthenticator', AUTHOR_PERSON)}\n      {slot('serviceStartTime', '20250301')}\n"
        f"      {slot('serviceStopTime', '20250312')}\n      {slot('sourcePatientId', SOURCE_PATIENT)}\n"
        f"      {slot('sourcePatientInfo', 'PID-5|PAT-TROIS^DOMINIQUE^^^^^L', 'PID-7|19790328', 'PID-8|F')}\n"
        + (f"      {extra}\n" if extra else "")
        + f"      {name('Compte rendu d&apos;examens biologiques')}\n"
        f"      {author('cl01', 'urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d', entry)}\n"
        f"      {coded('cl02', 'urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a', entry, '10', '1.2.250.1.213.1.1.4.1', 'Compte rendu')}\n"
        f"      {coded('cl03', 'urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f', entry, 'N', '2.16.840.1.113883.5.25', 'Normal')}\n"
        f"      {coded('cl04', FORMAT_CODE, entry, 'urn:ihe:lab:xd-lab:2008', '1.3.6.1.4.1.19376.1.2.3', 'CR de biologie')}\n"
        f"      {coded('cl05', FACILITY_CODE, entry, 'SA01', '1.2.250.1.71.4.2.4', 'Etablissement public')}\n"
        f"      {coded('cl06', PRACTICE_CODE, entry, 'AMBULATOIRE', '1.2.250.1.213.1.1.4.9', 'Ambulatoire')}\n"
        f"      {coded('cl07', TYPE_CODE, entry, '11502-2', LOINC, CR_BIO)}\n"
        f"      {external('ei01', 'urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427', entry, PATIENT, 'XDSDocumentEntry.patientId')}\n"
        f"      {external('ei02', 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab', entry, DOCUMENT_UID, 'XDSDocumentEntry.uniqueId')}\n"
        "    </rim:ExtrinsicObject>"
    )


def submission_set(ss: str, uid: str = "1.2.250.1.999.6.20250312.1") -> str:
    return (
        f'<rim:RegistryPackage id="{ss}" objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage">\n'
        f"      {slot('submissionTime', '20250312133500')}\n"
        f"      {author('cl08', 'urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d', ss)}\n"
        f"      {coded('cl09', CONTENT_TYPE_CODE, ss, '11502-2', LOINC, CR_BIO)}\n"
        f"      {external('ei03', 'urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8', ss, uid, 'XDSSubmissionSet.uniqueId')}\n"
        f"      {external('ei04', 'urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832', ss, '1.2.250.1.999.6', 'XDSSubmissionSet.sourceId')}\n"
        f"      {external('ei05', 'urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446', ss, PATIENT, 'XDSSubmissionSet.patientId')}\n"
        "    </rim:RegistryPackage>\n"
        f'    <rim:Classification id="cl10" classifiedObject="{ss}" classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>'
    )


def has_member(aid: str, ss: str, target: str, *slots: str) -> str:
    return (
        f'<rim:Association id="{aid}" associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" '
        f'sourceObject="{ss}" targetObject="{target}">{"".join(slots)}</rim:Association>'
    )


def envelope(action: str, body: str, response: bool = False) -> str:
    addressing = (
        "<a:RelatesTo>urn:uuid:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d</a:RelatesTo>"
        if response
        else "<a:MessageID>urn:uuid:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d</a:MessageID>\n    "
        "<a:To>https://repository.exemple.invalid/xds/repository</a:To>"
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope {NS}>\n  <s:Header>\n'
        f'    <a:Action s:mustUnderstand="true">{action}</a:Action>\n    {addressing}\n  </s:Header>\n'
        f"  <s:Body>\n{body}\n  </s:Body>\n</s:Envelope>\n"
    )


def mime(root: str, action: str, documents: list[tuple[str, bytes]]) -> bytes:
    head = (
        f'Content-Type: multipart/related; boundary="{BOUNDARY}"; type="application/xop+xml"; '
        f'start="<root.message@enrs.invalid>"; start-info="application/soap+xml"; action="{action}"\r\n\r\n'
    )
    out = (
        head.encode()
        + (
            f'--{BOUNDARY}\r\nContent-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"\r\n'
            "Content-Transfer-Encoding: binary\r\nContent-ID: <root.message@enrs.invalid>\r\n\r\n"
        ).encode()
    )
    out += root.encode("utf-8")
    for cid, data in documents:
        out += (f"\r\n--{BOUNDARY}\r\nContent-Type: text/xml\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <{cid}>\r\n\r\n").encode()
        out += data
    return out + f"\r\n--{BOUNDARY}--\r\n".encode()


def iti41(cda: bytes) -> bytes:
    body = (
        "    <xdsb:ProvideAndRegisterDocumentSetRequest>\n      <lcm:SubmitObjectsRequest>\n        <rim:RegistryObjectList>\n    "
        + document_entry("Document01", cda, registry_side=False, hashed=True)
        + "\n    "
        + submission_set("SubmissionSet01")
        + "\n    "
        + has_member("as01", "SubmissionSet01", "Document01", slot("SubmissionSetStatus", "Original"))
        + "\n        </rim:RegistryObjectList>\n      </lcm:SubmitObjectsRequest>\n"
        '      <xdsb:Document id="Document01"><xop:Include href="cid:doc1@enrs.invalid"/></xdsb:Document>\n'
        "    </xdsb:ProvideAndRegisterDocumentSetRequest>"
    )
    action = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
    return mime(envelope(action, body), action, [("doc1@enrs.invalid", cda)])


def folder(fid: str) -> str:
    return (
        f'<rim:RegistryPackage id="{fid}" objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage">'
        f"{name('Biologie 2025')}"
        f"{coded('cl12', 'urn:uuid:1ba97051-7806-41a8-a48b-8fce7af683c5', fid, '11502-2', '2.16.840.1.113883.6.1', 'CR de biologie')}"
        f"{external('ei06', 'urn:uuid:f64ffdf0-4b97-4e06-b79f-a52b38ec2f8a', fid, PATIENT, 'XDSFolder.patientId')}"
        f"{external('ei07', 'urn:uuid:75df8f67-9973-4fbe-a900-df66cefecc5a', fid, '1.2.250.1.999.8.1', 'XDSFolder.uniqueId')}"
        "</rim:RegistryPackage>\n    "
        f'<rim:Classification id="cl11" classifiedObject="{fid}" classificationNode="urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2"/>'
    )


def iti42(cda: bytes) -> bytes:
    """A registration by the repository (ITI-42) that replaces an earlier entry (RPLC) and opens a folder."""
    body = (
        "    <lcm:SubmitObjectsRequest>\n      <rim:RegistryObjectList>\n    "
        + document_entry("Document01", cda, registry_side=True)
        + "\n    "
        + submission_set("SubmissionSet01")
        + "\n    "
        + has_member("as01", "SubmissionSet01", "Document01", slot("SubmissionSetStatus", "Original"))
        + "\n    "
        + folder("Folder01")
        + "\n    "
        + has_member("as02", "SubmissionSet01", "Folder01")
        + "\n    "
        + f'<rim:Association id="as03" associationType="urn:ihe:iti:2007:AssociationType:RPLC" sourceObject="Document01" '
        f'targetObject="{ENTRY_UUID}"/>' + "\n      </rim:RegistryObjectList>\n    </lcm:SubmitObjectsRequest>"
    )
    return envelope("urn:ihe:iti:2007:RegisterDocumentSet-b", body).encode()


def iti57() -> bytes:
    """Archive an entry (DMP TD3.3d): UpdateAvailabilityStatus Approved → Archived."""
    body = (
        "    <lcm:SubmitObjectsRequest>\n      <rim:RegistryObjectList>\n    "
        + submission_set("SubmissionSet01", "1.2.250.1.999.6.20250313.1")
        + '\n    <rim:Association id="as01" associationType="urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus" '
        f'sourceObject="SubmissionSet01" targetObject="{ENTRY_UUID}">'
        + slot("OriginalStatus", "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved")
        + slot("NewStatus", "urn:asip:ci-sis:2010:StatusType:Archived")
        + "</rim:Association>\n      </rim:RegistryObjectList>\n    </lcm:SubmitObjectsRequest>"
    )
    return envelope("urn:ihe:iti:2010:UpdateDocumentSet", body).encode()


def iti18_request() -> bytes:
    body = (
        '    <query:AdhocQueryRequest>\n      <query:ResponseOption returnType="LeafClass" returnComposedObjects="true"/>\n'
        '      <rim:AdhocQuery id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d">\n'
        f"        {slot('$XDSDocumentEntryPatientId', '&apos;' + PATIENT + '&apos;')}\n"
        f"        {slot('$XDSDocumentEntryStatus', '(&apos;urn:oasis:names:tc:ebxml-regrep:StatusType:Approved&apos;)')}\n"
        "      </rim:AdhocQuery>\n    </query:AdhocQueryRequest>"
    )
    return envelope("urn:ihe:iti:2007:RegistryStoredQuery", body).encode()


def iti18_response(cda: bytes) -> bytes:
    entry = document_entry(ENTRY_UUID, cda, registry_side=True, status="urn:oasis:names:tc:ebxml-regrep:StatusType:Approved")
    body = (
        '    <query:AdhocQueryResponse status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success">\n'
        f"      <rim:RegistryObjectList>\n    {entry}\n      </rim:RegistryObjectList>\n    </query:AdhocQueryResponse>"
    )
    return envelope("urn:ihe:iti:2007:RegistryStoredQueryResponse", body, response=True).encode()


def iti43_request() -> bytes:
    body = (
        "    <xdsb:RetrieveDocumentSetRequest>\n      <xdsb:DocumentRequest>\n"
        f"        <xdsb:RepositoryUniqueId>{REPOSITORY}</xdsb:RepositoryUniqueId>\n"
        f"        <xdsb:DocumentUniqueId>{DOCUMENT_UID}</xdsb:DocumentUniqueId>\n"
        "      </xdsb:DocumentRequest>\n    </xdsb:RetrieveDocumentSetRequest>"
    )
    return envelope("urn:ihe:iti:2007:RetrieveDocumentSet", body).encode()


def iti43_response(cda: bytes) -> bytes:
    body = (
        "    <xdsb:RetrieveDocumentSetResponse>\n"
        '      <rs:RegistryResponse status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"/>\n'
        "      <xdsb:DocumentResponse>\n"
        f"        <xdsb:RepositoryUniqueId>{REPOSITORY}</xdsb:RepositoryUniqueId>\n"
        f"        <xdsb:DocumentUniqueId>{DOCUMENT_UID}</xdsb:DocumentUniqueId>\n"
        "        <xdsb:mimeType>text/xml</xdsb:mimeType>\n"
        '        <xdsb:Document><xop:Include href="cid:doc1@enrs.invalid"/></xdsb:Document>\n'
        "      </xdsb:DocumentResponse>\n    </xdsb:RetrieveDocumentSetResponse>"
    )
    action = "urn:ihe:iti:2007:RetrieveDocumentSetResponse"
    return mime(envelope(action, body, response=True), action, [("doc1@enrs.invalid", cda)])


def registry_response() -> bytes:
    body = '    <rs:RegistryResponse status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"/>'
    return envelope("urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse", body, response=True).encode()


def registry_failure() -> bytes:
    body = (
        '    <rs:RegistryResponse status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure">\n'
        "      <rs:RegistryErrorList>\n"
        '        <rs:RegistryError errorCode="XDSPatientIdDoesNotMatch" codeContext="patientId du document ≠ patientId du lot" '
        'severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error" location="Document01"/>\n'
        "      </rs:RegistryErrorList>\n    </rs:RegistryResponse>"
    )
    return envelope("urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse", body, response=True).encode()


FIXTURES = {
    "iti41-request.mtom": iti41,
    "iti42-request.xml": iti42,
    "iti57-archive-request.xml": lambda cda: iti57(),
    "iti18-request.xml": lambda cda: iti18_request(),
    "iti18-response.xml": iti18_response,
    "iti43-request.xml": lambda cda: iti43_request(),
    "iti43-response.mtom": iti43_response,
    "registry-response-success.xml": lambda cda: registry_response(),
    "registry-response-failure.xml": lambda cda: registry_failure(),
}


# fixtures/nonconforming/xds/: the creation time copied from the CDA in local time, not converted to UTC (XDSFR-CDA-02)
NONCONFORMING = {"iti41-creation-time-not-utc.mtom": lambda cda: iti41(cda).replace(b">20250312133000<", b">20250312143000<")}
NONCONFORMING_OUT = ROOT / "fixtures" / "nonconforming" / "xds"


def build(name: str) -> bytes:
    return {**FIXTURES, **NONCONFORMING}[name](CDA.read_bytes())


def main() -> None:
    for folder, fixtures in ((OUT, FIXTURES), (NONCONFORMING_OUT, NONCONFORMING)):
        folder.mkdir(parents=True, exist_ok=True)
        for fixture in fixtures:
            (folder / fixture).write_bytes(build(fixture))


if __name__ == "__main__":
    main()
