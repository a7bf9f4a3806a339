"""One mutant per XDS requirement: a conforming fixture of fixtures/conforming/xds/ with one textual edit that
breaks only that rule. The tests build them in memory."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "conforming" / "xds"
ITI41, ITI42, ITI57 = "iti41-request.mtom", "iti42-request.xml", "iti57-archive-request.xml"
ITI18Q, ITI43Q, ITI43R, FAILURE = "iti18-request.xml", "iti43-request.xml", "iti43-response.mtom", "registry-response-failure.xml"
PERSON = "801234567897^MEDECIN-ESSAI^Jean^^^^^^&amp;1.2.250.1.71.4.2.1&amp;ISO^D^^^IDNPS"
INSTITUTION = "Cabinet médical Exemple^^^^^&amp;1.2.250.1.71.4.2.2&amp;ISO^IDNST^^^1750000000"


@dataclass(frozen=True)
class Mutant:
    requirement: str
    fixture: str
    old: str
    new: str
    count: int = 1  # how many occurrences are replaced (all of them must exist)
    after: str | None = None  # replace the first occurrence after this anchor only
    rehash: bool = False  # the edit is in the carried document: its hash and size slots follow it

    def build(self) -> bytes:
        text = (FIXTURES / self.fixture).read_bytes().decode("utf-8")
        if self.after is not None:
            start = text.index(self.after)
            at = text.index(self.old, start)
            text = text[:at] + self.new + text[at + len(self.old) :]
        else:
            assert text.count(self.old) == self.count, f"{self.requirement}: {text.count(self.old)} occurrence(s) of {self.old!r}"
            text = text.replace(self.old, self.new)
        data = text.encode("utf-8")
        return _rehash(data) if self.rehash else data


def _rehash(data: bytes) -> bytes:
    """The capture with the hash and size slots of its one document recomputed from the document's MIME part."""
    start = data.index(b"Content-ID: <doc1@enrs.invalid>\r\n\r\n") + len(b"Content-ID: <doc1@enrs.invalid>\r\n\r\n")
    document = data[start : data.index(b"\r\n--MIMEBoundary_enrs_0001--", start)]
    data = re.sub(rb'(name="hash"><rim:ValueList><rim:Value>)[0-9a-f]+', rb"\g<1>" + hashlib.sha1(document).hexdigest().encode(), data)
    return re.sub(rb'(name="size"><rim:ValueList><rim:Value>)[0-9]+', rb"\g<1>" + str(len(document)).encode(), data)


def _slot(name: str, value: str) -> str:
    return f'<rim:Slot name="{name}"><rim:ValueList><rim:Value>{value}</rim:Value></rim:ValueList></rim:Slot>'


MUTANTS = [
    # transport
    Mutant("XDSB-SOAP-01", ITI18Q, "http://www.w3.org/2003/05/soap-envelope", "http://schemas.xmlsoap.org/soap/envelope/"),
    Mutant("XDSB-WSA-01", ITI18Q, ">urn:ihe:iti:2007:RegistryStoredQuery<", ">urn:ihe:iti:2007:RegistryStoredQueryX<"),
    Mutant("XDSB-WSA-02", ITI43Q, "<a:MessageID>urn:uuid:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d</a:MessageID>", ""),
    Mutant("XDSB-WSA-03", ITI43Q, 's:mustUnderstand="true"', 's:mustUnderstand="false"'),
    Mutant("XDSB-MTOM-01", ITI41, '; type="application/soap+xml"', '; type="text/xml"'),
    Mutant("XDSB-MTOM-02", ITI41, 'href="cid:doc1@enrs.invalid"', 'href="cid:doc2@enrs.invalid"'),
    # metadata
    Mutant(
        "XDSB-RIM-01",
        ITI42,
        'classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"',
        'classificationNode="urn:uuid:00000000-d40d-43f9-88c5-b4633d873bdd"',
    ),
    Mutant("XDSB-RIM-02", ITI42, '<rim:Association id="as02"', '<rim:Association id="Document01"'),
    Mutant("XDSB-DE-01", ITI41, _slot("languageCode", "fr-FR"), ""),
    Mutant(
        "XDSB-DE-02",
        ITI41,
        'objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"',
        'objectType="urn:uuid:7edca82f-054d-47f2-a032-000000000000"',
    ),
    Mutant("XDSB-SS-01", ITI41, _slot("submissionTime", "20250312133500"), ""),
    Mutant(
        "XDSB-FD-01",
        ITI42,
        'classificationScheme="urn:uuid:1ba97051-7806-41a8-a48b-8fce7af683c5"',
        'classificationScheme="urn:uuid:1ba97051-7806-41a8-a48b-000000000000"',
    ),
    Mutant(
        "XDSB-CARD-01",
        ITI41,
        "<rim:Value>20250312133000</rim:Value>",
        "<rim:Value>20250312133000</rim:Value><rim:Value>20250312133000</rim:Value>",
    ),
    Mutant("XDSB-CODE-01", ITI41, '<rim:Name><rim:LocalizedString value="Compte rendu"/></rim:Name>', ""),
    Mutant(
        "XDSB-AUTH-01",
        ITI41,
        'classifiedObject="Document01" nodeRepresentation=""',
        'classifiedObject="Document01" nodeRepresentation="AUTEUR"',
    ),
    Mutant("XDSB-FMT-01", ITI42, "IPP-000004^^^&amp;1.2.250.1.999.2.1&amp;ISO", "IPP-000004^^^1.2.250.1.999.2.1"),
    Mutant("XDSB-FMT-02", ITI42, "<rim:Value>20250312133000</rim:Value>", "<rim:Value>20251312133000</rim:Value>"),
    Mutant("XDSB-FMT-03", ITI42, PERSON, "801234567897^MEDECIN-ESSAI^Jean", after='name="legalAuthenticator"'),
    Mutant("XDSB-FMT-04", ITI42, INSTITUTION, INSTITUTION.replace("Cabinet médical Exemple", ""), count=2),
    Mutant("XDSB-UID-01", ITI42, "1.2.250.1.999.6.20250312.1", "1.2.250.1.999.6.020250312.1"),
    Mutant("XDSB-UID-02", ITI42, 'value="1.2.250.1.999.8.1"', 'value="1.2.250.1.999.6.20250312.1"'),
    Mutant(
        "XDSB-PAT-01", ITI42, 'registryObject="Document01" value="279035121518989', 'registryObject="Document01" value="179035121518989'
    ),
    Mutant("XDSB-ASSOC-01", ITI42, "<rim:Value>Original</rim:Value>", "<rim:Value>Originale</rim:Value>"),
    Mutant("XDSB-ASSOC-02", ITI42, 'targetObject="urn:uuid:6f0d3b2a-1c5e-4a8b-9d7f-2e4c6a8b0d1f"', 'targetObject="Document01"'),
    Mutant("XDSB-DOC-01", ITI41, '<xdsb:Document id="Document01">', '<xdsb:Document id="Document02">'),
    Mutant("XDSB-HASH-01", ITI41, '<rim:Slot name="hash"><rim:ValueList><rim:Value>', '<rim:Slot name="hash"><rim:ValueList><rim:Value>0'),
    Mutant("XDSB-SIZE-01", ITI41, '<rim:Slot name="size"><rim:ValueList><rim:Value>', '<rim:Slot name="size"><rim:ValueList><rim:Value>1'),
    Mutant("XDSB-UPD-01", ITI57, _slot("OriginalStatus", "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"), ""),
    # queries, retrieve, responses
    Mutant("XDSB-Q-01", ITI18Q, 'returnType="LeafClass"', 'returnType="Leaf"'),
    Mutant("XDSB-Q-02", ITI18Q, "$XDSDocumentEntryStatus", "$XDSDocumentEntryStatut"),
    Mutant("XDSB-RSP-01", FAILURE, 'severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"', 'severity="Fatal"'),
    Mutant("XDSB-RET-01", ITI43Q, "<xdsb:RepositoryUniqueId>1.2.250.1.999.7.1</xdsb:RepositoryUniqueId>", ""),
    Mutant("XDSB-RET-02", ITI43R, "<xdsb:mimeType>text/xml</xdsb:mimeType>", ""),
    # ci-sis-xds: value sets, identity, authors, statuses
    Mutant("XDSFR-VS-01", ITI42, "<rim:Value>1.2.250.1.213.1.1.4.1</rim:Value>", "<rim:Value>1.2.250.1.213.1.1.4.99</rim:Value>"),
    Mutant(
        "XDSFR-VS-02",
        ITI42,
        "<rim:Value>2.16.840.1.113883.6.1</rim:Value>",
        "<rim:Value>2.16.840.1.113883.6.96</rim:Value>",
        after='id="cl07"',
    ),
    Mutant("XDSFR-VS-03", ITI42, 'nodeRepresentation="N"', 'nodeRepresentation="Z"'),
    Mutant("XDSFR-VS-04", ITI42, "<rim:Value>1.3.6.1.4.1.19376.1.2.3</rim:Value>", "<rim:Value>1.3.6.1.4.1.19376.1.2.99</rim:Value>"),
    Mutant("XDSFR-VS-05", ITI42, "<rim:Value>1.2.250.1.71.4.2.4</rim:Value>", "<rim:Value>1.2.250.1.71.4.2.5</rim:Value>"),
    Mutant("XDSFR-VS-06", ITI42, "<rim:Value>1.2.250.1.213.1.1.4.9</rim:Value>", "<rim:Value>1.2.250.1.213.1.1.4.8</rim:Value>"),
    Mutant("XDSFR-INS-01", ITI42, "&amp;1.2.250.1.213.1.4.10&amp;ISO", "&amp;1.2.250.1.999.2.9&amp;ISO", count=3),
    Mutant("XDSFR-AUTH-01", ITI42, "&amp;1.2.250.1.71.4.2.1&amp;ISO", "&amp;1.2.250.1.999.3&amp;ISO", count=3),
    Mutant("XDSFR-AUTH-02", ITI42, "&amp;1.2.250.1.71.4.2.2&amp;ISO", "&amp;1.2.250.1.999.4&amp;ISO", count=2),
    Mutant("XDSFR-STAT-01", ITI57, "urn:asip:ci-sis:2010:StatusType:Archived", "urn:asip:ci-sis:2010:StatusType:Masked"),
    # ci-sis-xds: CDA ↔ metadata (the ITI-41 capture carries the CR-BIO)
    Mutant("XDSFR-CDA-01", ITI41, 'nodeRepresentation="11502-2"', 'nodeRepresentation="11488-4"', after='id="cl07"'),
    Mutant("XDSFR-CDA-02", ITI41, "<rim:Value>20250312133000</rim:Value>", "<rim:Value>20250312143000</rim:Value>"),
    Mutant("XDSFR-CDA-03", ITI41, "IPP-000004^^^", "IPP-000005^^^"),
    Mutant("XDSFR-CDA-04", ITI41, "<rim:Value>20250301</rim:Value>", "<rim:Value>20250302</rim:Value>"),
    Mutant("XDSFR-CDA-05", ITI41, 'nodeRepresentation="N"', 'nodeRepresentation="R"'),
    Mutant("XDSFR-CDA-06", ITI41, "<rim:Value>fr-FR</rim:Value>", "<rim:Value>en-US</rim:Value>"),
    Mutant("XDSFR-CDA-07", ITI41, "<rim:Value>801234567897^", "<rim:Value>801234567898^", after='name="legalAuthenticator"'),
    Mutant("XDSFR-CDA-08", ITI41, "<rim:Value>801234567897^", "<rim:Value>801234567898^", after='id="cl01"'),
    Mutant("XDSFR-CDA-09", ITI41, 'value="1.2.250.1.999.1.1^DOC-0004-2"', 'value="1.2.250.1.999.1.1^DOC-0004-3"'),
    Mutant("XDSFR-CDA-10", ITI41, 'nodeRepresentation="urn:ihe:lab:xd-lab:2008"', 'nodeRepresentation="urn:ihe:pcc:xds-ms:2007"'),
    Mutant("XDSFR-CDA-11", ITI41, '<realmCode code="FR"/>', '<realmCode code="XX"/>', rehash=True),
]
