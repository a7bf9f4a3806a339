"""One mutant per CDA requirement: a conforming fixture with XPath edits that break only that rule.

Each `Mutant` names the requirement, the conforming fixture it starts from, the edits, and the
location (XPath) the finding must carry. The tests build the mutants in memory.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "conforming" / "cda"
NS = {"cda": "urn:hl7-org:v3", "xsl": "http://www.w3.org/1999/XSL/Transform", "lab": "urn:oid:1.3.6.1.4.1.19376.1.3.2"}
CD = "/ClinicalDocument"
SM, N1, VSM, BIO, LDL, SP = ("sm-n3-ldl-ees.xml", "n1-pdf.xml", "vsm-2023.xml", "cr-bio-2024.xml", "ldl-ses-2022.xml",
                              "self-presenting-vsm.xml")
Edit = Callable[[etree._Element], None]


def _one(root: etree._Element, path: str) -> etree._Element:
    found = root.xpath(path, namespaces=NS)
    assert found, f"mutant edit: nothing at {path}"
    return found[0]


def _fragment(xml: str) -> etree._Element:
    return etree.fromstring(f'<wrap xmlns="urn:hl7-org:v3">{xml}</wrap>')[0]


def set_attr(path: str, name: str, value: str) -> Edit:
    return lambda root: _one(root, path).set(name, value)


def del_attr(path: str, *names: str) -> Edit:
    def edit(root: etree._Element) -> None:
        element = _one(root, path)
        for name in names:
            element.attrib.pop(name, None)
    return edit


def set_text(path: str, text: str) -> Edit:
    def edit(root: etree._Element) -> None:
        _one(root, path).text = text
    return edit


def delete(path: str) -> Edit:
    def edit(root: etree._Element) -> None:
        element = _one(root, path)
        element.getparent().remove(element)
    return edit


def insert_after(path: str, xml: str) -> Edit:
    return lambda root: _one(root, path).addnext(_fragment(xml))


def insert_before(path: str, xml: str) -> Edit:
    return lambda root: _one(root, path).addprevious(_fragment(xml))


def append(path: str, xml: str) -> Edit:
    return lambda root: _one(root, path).append(_fragment(xml))


def move_before(path: str, before: str) -> Edit:
    def edit(root: etree._Element) -> None:
        element = _one(root, path)
        _one(root, before).addprevious(element)
    return edit


def duplicate(path: str) -> Edit:
    def edit(root: etree._Element) -> None:
        element = _one(root, path)
        element.addnext(etree.fromstring(etree.tostring(element)))
    return edit


@dataclass(frozen=True)
class Mutant:
    requirement: str
    fixture: str
    edits: tuple[Edit, ...]
    location: str
    also: tuple[str, ...] = ()  # requirements the same defect breaks by definition (two sources, one constraint)

    def build(self) -> bytes:
        tree = etree.parse(str(FIXTURES / self.fixture))
        for edit in self.edits:
            edit(tree.getroot())
        return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def m(requirement: str, fixture: str, location: str, *edits: Edit, also: tuple[str, ...] = ()) -> Mutant:
    return Mutant(requirement, fixture, edits, location, also)


PR = "/cda:ClinicalDocument/cda:recordTarget/cda:patientRole"
PAT = f"{PR}/cda:patient"
LPR = f"{CD}/recordTarget[1]/patientRole[1]"
LPAT = f"{LPR}/patient[1]"
AA = "/cda:ClinicalDocument/cda:author[1]/cda:assignedAuthor"
LAA = f"{CD}/author[1]/assignedAuthor[1]"
SE = "/cda:ClinicalDocument/cda:documentationOf/cda:serviceEvent"
LSE = f"{CD}/documentationOf[1]/serviceEvent[1]"
EE = "/cda:ClinicalDocument/cda:componentOf/cda:encompassingEncounter"
LEE = f"{CD}/componentOf[1]/encompassingEncounter[1]"
SB = "/cda:ClinicalDocument/cda:component/cda:structuredBody"
LSB = f"{CD}/component[1]/structuredBody[1]"
S1 = f"{SB}/cda:component[1]/cda:section"
LS1 = f"{LSB}/component[1]/section[1]"
NXB = "/cda:ClinicalDocument/cda:component/cda:nonXMLBody"
LNXB = f"{CD}/component[1]/nonXMLBody[1]"
# a section author (CDA R2 Author: time, assignedAuthor with id and code), {code} in code system 1.2.250.1.213.1.1.4.5
SECTION_AUTHOR = ('<author><time value="20250312101500+0100"/><assignedAuthor><id root="1.2.250.1.71.4.2.1" extension="801234567897"/>'
                  '<code code="{code}" codeSystem="1.2.250.1.213.1.1.4.5" displayName="Spécialité"/></assignedAuthor></author>')
NOT_PDF = base64.b64encode(b"hello, this is not a PDF").decode()

MUTANTS: list[Mutant] = [
    # -- CDA R2 structure
    m("CDA-ROOT", SP, "/xsl:stylesheet", delete("/xsl:stylesheet/cda:ClinicalDocument")),
    m("CDA-HEADER-ELEMENTS", SM, f"{CD}/foo[1]", insert_after("/cda:ClinicalDocument/cda:title", "<foo/>")),
    m("CDA-HEADER-ORDER", SM, f"{CD}/code[1]", move_before("/cda:ClinicalDocument/cda:title", "/cda:ClinicalDocument/cda:code")),
    m("CDA-HEADER-CARDINALITY", SM, f"{CD}/title[2]", insert_after("/cda:ClinicalDocument/cda:title", "<title>Deuxième titre</title>")),
    m("CDA-HEADER-PARTICIPATIONS", SM, f"{CD}/author[1]/time[2]", duplicate("/cda:ClinicalDocument/cda:author[1]/cda:time")),
    m("CDA-BODY", SM, f"{CD}/component[1]", append("/cda:ClinicalDocument/cda:component", "<nonXMLBody><text>x</text></nonXMLBody>")),
    m("CDA-STRUCTUREDBODY", SM, f"{LSB}/component[5]", append(SB, "<component/>")),
    m("CDA-SECTION", SM, f"{LS1}/code[1]", move_before(f"{S1}/cda:title", f"{S1}/cda:code")),
    m("CDA-ENTRY", SM, f"{LS1}/entry[1]", append(f"{S1}/cda:entry", '<observation classCode="OBS" moodCode="EVN"/>')),
    m("CDA-NONXMLBODY", N1, f"{LNXB}/text[1]", insert_before(f"{NXB}/cda:text", '<languageCode code="fr-FR"/>')),
    # -- Structuration minimale: document level
    m("SM-DOC-CLASS-MOOD", SM, f"{CD}/@classCode", set_attr("/cda:ClinicalDocument", "classCode", "ACT")),
    m("SM-REALMCODE", SM, f"{CD}/realmCode[1]/@code", set_attr("/cda:ClinicalDocument/cda:realmCode", "code", "EN")),
    m("SM-TYPEID", SM, f"{CD}/typeId[1]/@extension", set_attr("/cda:ClinicalDocument/cda:typeId", "extension", "X")),
    m("SM-TEMPLATEID-HL7FR", SM, CD, delete("/cda:ClinicalDocument/cda:templateId[@root='2.16.840.1.113883.2.8.2.1']")),
    m("SM-TEMPLATEID-CISIS", SM, CD, delete("/cda:ClinicalDocument/cda:templateId[@root='1.2.250.1.213.1.1.1.1']")),
    m("SM-TEMPLATEID-OTHER", SM, f"{CD}/templateId[3]/@root", del_attr("/cda:ClinicalDocument/cda:templateId[3]", "root")),
    m("SM-ID", SM, f"{CD}/id[1]/@nullFlavor", del_attr("/cda:ClinicalDocument/cda:id", "root", "extension"),
      set_attr("/cda:ClinicalDocument/cda:id", "nullFlavor", "NI")),
    m("SM-CODE", SM, f"{CD}/code[1]/@displayName", del_attr("/cda:ClinicalDocument/cda:code", "displayName")),
    m("SM-CODE-J07", N1, f"{CD}/code[1]/@code", set_attr("/cda:ClinicalDocument/cda:code", "code", "00000-0")),
    m("SM-TITLE", SM, f"{CD}/title[1]/@nullFlavor", set_attr("/cda:ClinicalDocument/cda:title", "nullFlavor", "NI")),
    m("SM-EFFECTIVETIME", SM, f"{CD}/effectiveTime[1]/@value", del_attr("/cda:ClinicalDocument/cda:effectiveTime", "value")),
    m("SM-CONFIDENTIALITY", SM, f"{CD}/confidentialityCode[1]/@code",
      set_attr("/cda:ClinicalDocument/cda:confidentialityCode", "code", "X")),
    m("SM-CONFIDENTIALITY-CISIS", SM, f"{CD}/confidentialityCode[1]/@code",
      set_attr("/cda:ClinicalDocument/cda:confidentialityCode", "code", "L")),
    m("SM-LANGUAGE", SM, f"{CD}/languageCode[1]/@code", set_attr("/cda:ClinicalDocument/cda:languageCode", "code", "french")),
    m("SM-SETID", SM, f"{CD}/setId[1]/@root", del_attr("/cda:ClinicalDocument/cda:setId", "root")),
    m("SM-VERSIONNUMBER", SM, f"{CD}/versionNumber[1]/@value", set_attr("/cda:ClinicalDocument/cda:versionNumber", "value", "v2")),
    # -- recordTarget and patient
    m("SM-RECORDTARGET", SM, f"{LPAT}/@nullFlavor", set_attr(PAT, "nullFlavor", "UNK")),
    m("SM-PATIENT-ID", SM, f"{LPR}/id[2]/@extension", del_attr(f"{PR}/cda:id[2]", "extension")),
    m("SM-PATIENT-NAME", SM, f"{LPAT}/name[1]/@nullFlavor", set_attr(f"{PAT}/cda:name", "nullFlavor", "MSK")),
    m("SM-PATIENT-FAMILY-QUALIFIER", SM, f"{LPAT}/name[1]/family[2]/@qualifier", del_attr(f"{PAT}/cda:name/cda:family[2]", "qualifier")),
    m("SM-PATIENT-GIVEN-QUALIFIER", SM, f"{LPAT}/name[1]/given[3]/@qualifier", set_attr(f"{PAT}/cda:name/cda:given[3]", "qualifier", "XX")),
    # a sex outside J143 is refused by StrucMin and by the Modèles de contenus CDA alike (a missing one breaks INS too)
    m("SM-PATIENT-GENDER", SM, f"{LPAT}/administrativeGenderCode[1]/@code", set_attr(f"{PAT}/cda:administrativeGenderCode", "code", "X"),
      also=("MOD-JDV-GENDER",)),
    m("SM-PATIENT-BIRTHTIME", SM, f"{LPAT}/birthTime[1]/@value", del_attr(f"{PAT}/cda:birthTime", "value"),
      set_attr(f"{PAT}/cda:birthTime", "nullFlavor", "UNK")),
    m("SM-PATIENT-INS", SM, LPAT, delete(f"{PAT}/cda:birthplace")),
    m("SM-PATIENT-GUARDIAN", SM, f"{LPAT}/guardian[1]",
      append(f"{PAT}/cda:guardian", '<guardianOrganization><id root="1.2.250.1.71.4.2.2" extension="1750000005"/></guardianOrganization>')),
    m("SM-PATIENT-BIRTHPLACE", SM, f"{LPAT}/birthplace[1]",
      set_attr(f"{PR}/cda:id[1]", "root", "1.2.250.1.999.2.2"), delete(f"{PAT}/cda:birthplace/cda:place")),
    m("SM-PATIENT-FORBIDDEN", SM, f"{LPAT}/raceCode[1]",
      insert_after(f"{PAT}/cda:birthTime", '<raceCode code="X" codeSystem="2.16.840.1.113883.5.104"/>')),
    # -- telecom, addr, names, organisations, codes everywhere in the header
    m("SM-TELECOM", SM, f"{LPR}/telecom[1]/@value", set_attr(f"{PR}/cda:telecom", "value", "0600000000")),
    m("SM-ADDR", SM, f"{LPR}/addr[1]/@use", set_attr(f"{PR}/cda:addr", "use", "XX")),
    m("SM-ADDR-FORM", SM, f"{LPR}/addr[1]",
      insert_before(f"{PR}/cda:addr/cda:postalCode", "<streetAddressLine>1 rue de l'Exemple</streetAddressLine>")),
    m("SM-DATATYPES", SM, f"{CD}/effectiveTime[1]/@value", set_attr("/cda:ClinicalDocument/cda:effectiveTime", "value", "2025-03-12")),
    m("SM-CARDINALITY", SM, f"{LPAT}/name[2]", duplicate(f"{PAT}/cda:name")),
    m("SM-NAME-CIVILITY", SM, f"{LAA}/assignedPerson[1]/name[1]/prefix[1]", set_text(f"{AA}/cda:assignedPerson/cda:name/cda:prefix", "ZZ")),
    m("SM-PERSON-NAME", SM, f"{LAA}/assignedPerson[1]/name[1]", delete(f"{AA}/cda:assignedPerson/cda:name/cda:family")),
    m("SM-ORG-ID", SM, f"{LAA}/representedOrganization[1]/id[1]/@extension",
      del_attr(f"{AA}/cda:representedOrganization/cda:id", "extension")),
    m("SM-PRACTICE-SETTING", SM, f"{LAA}/representedOrganization[1]/standardIndustryClassCode[1]/@code",
      set_attr(f"{AA}/cda:representedOrganization/cda:standardIndustryClassCode", "code", "ZZ")),
    # (a code outside J01 breaks MOD-JDV-AUTHOR-SPECIALTY too; the display name is StrucMin's alone)
    m("SM-SPECIALTY", SM, f"{LAA}/code[1]/@displayName", del_attr(f"{AA}/cda:code", "displayName")),
    m("SM-FUNCTIONCODE", SM, f"{CD}/author[1]/functionCode[1]/@code",
      set_attr("/cda:ClinicalDocument/cda:author/cda:functionCode", "code", "ZZ")),
    # -- author, custodian, authenticators
    m("SM-AUTHOR", SM, f"{CD}/author[1]/time[1]/@value", del_attr("/cda:ClinicalDocument/cda:author/cda:time", "value")),
    m("SM-AUTHOR-ID", SM, f"{LAA}/id[1]/@extension", del_attr(f"{AA}/cda:id", "extension")),
    m("SM-AUTHOR-PERSON-DEVICE", BIO, f"{CD}/author[2]/assignedAuthor[1]/assignedAuthoringDevice[1]",
      delete("/cda:ClinicalDocument/cda:author[2]/cda:assignedAuthor/cda:assignedAuthoringDevice/cda:softwareName")),
    m("SM-CUSTODIAN", SM, f"{CD}/custodian[1]/assignedCustodian[1]/representedCustodianOrganization[1]/id[1]/@nullFlavor",
      del_attr("//cda:representedCustodianOrganization/cda:id", "root", "extension"),
      set_attr("//cda:representedCustodianOrganization/cda:id", "nullFlavor", "UNK")),
    m("SM-CUSTODIAN-ID", SM, f"{CD}/custodian[1]/assignedCustodian[1]/representedCustodianOrganization[1]/id[1]/@root",
      set_attr("//cda:representedCustodianOrganization/cda:id", "root", "1.2.250.1.999.7")),
    m("SM-LEGALAUTH", SM, f"{CD}/legalAuthenticator[1]/signatureCode[1]/@code",
      set_attr("//cda:legalAuthenticator/cda:signatureCode", "code", "X")),
    m("SM-LEGALAUTH-TIME", SM, f"{CD}/legalAuthenticator[1]/time[1]/@value", del_attr("//cda:legalAuthenticator/cda:time", "value")),
    m("SM-LEGALAUTH-ENTITY", SM, f"{CD}/legalAuthenticator[1]/assignedEntity[1]/id[1]/@extension",
      del_attr("//cda:legalAuthenticator/cda:assignedEntity/cda:id", "extension")),
    m("SM-AUTHENTICATOR", SM, f"{CD}/authenticator[1]/signatureCode[1]/@code",
      set_attr("//cda:authenticator/cda:signatureCode", "code", "X")),
    # -- informant, recipient, participant
    m("SM-INFORMANT", SM, f"{CD}/informant[1]",
      insert_before("//cda:informant/cda:relatedEntity", '<assignedEntity><id root="1.2.250.1.71.4.2.1" extension="801333333331"/>'
                                                         '</assignedEntity>')),
    m("SM-INFORMANT-RELATED", SM, f"{CD}/informant[1]/relatedEntity[1]/@classCode",
      set_attr("//cda:informant/cda:relatedEntity", "classCode", "FRND")),
    m("SM-RECIPIENT", SM, f"{CD}/informationRecipient[1]/intendedRecipient[1]/id[1]/@extension",
      del_attr("//cda:intendedRecipient/cda:id", "extension")),
    m("SM-PARTICIPANT", SM, f"{CD}/participant[1]/@typeCode", set_attr("/cda:ClinicalDocument/cda:participant", "typeCode", "XX")),
    m("SM-PARTICIPANT-ENTITY", SM, f"{CD}/participant[1]/associatedEntity[1]/@classCode",
      set_attr("//cda:participant/cda:associatedEntity", "classCode", "PAT")),
    # -- inFulfillmentOf, documentationOf, relatedDocument, authorization
    m("SM-INFULFILLMENTOF", SM, f"{CD}/inFulfillmentOf[1]/order[1]", delete("//cda:inFulfillmentOf/cda:order/cda:id")),
    m("SM-DOCUMENTATIONOF", SM, f"{LSE}/@nullFlavor", set_attr(SE, "nullFlavor", "NA")),
    m("SM-SERVICEEVENT-MAIN", SM, LSE, delete(f"{SE}/cda:performer")),
    m("SM-SERVICEEVENT-CODE", SM, f"{LSE}/code[1]/@codeSystem", del_attr(f"{SE}/cda:code", "codeSystem")),
    m("SM-SERVICEEVENT-TIME", SM, f"{LSE}/effectiveTime[1]/low[1]/@value", del_attr(f"{SE}/cda:effectiveTime/cda:low", "value")),
    m("SM-LAB-STATUSCODE", SM, f"{LSE}/lab:statusCode[1]",
      insert_after(f"{SE}/cda:code", '<lab:statusCode xmlns:lab="urn:oid:1.3.6.1.4.1.19376.1.3.2" code="completed"/>')),
    m("SM-PERFORMER", SM, f"{LSE}/performer[1]/@typeCode", set_attr(f"{SE}/cda:performer", "typeCode", "SPRF")),
    m("SM-RELATEDDOCUMENT", SM, f"{CD}/relatedDocument[1]/@typeCode", set_attr("//cda:relatedDocument", "typeCode", "APND")),
    m("SM-AUTHORIZATION", SM, f"{CD}/authorization[1]/consent[1]/statusCode[1]/@code",
      set_attr("//cda:consent/cda:statusCode", "code", "active")),
    # -- componentOf / encompassingEncounter
    m("SM-ENCOMPASSINGENCOUNTER", SM, LEE, delete(f"{EE}/cda:effectiveTime")),
    m("SM-ENCOUNTER-ID", SM, f"{LEE}/id[1]/@root", del_attr(f"{EE}/cda:id", "root")),
    m("SM-ENCOUNTER-CODE", SM, f"{LEE}/code[1]/@code", set_attr(f"{EE}/cda:code", "code", "ZZ")),
    m("SM-DISCHARGE", SM, f"{LEE}/dischargeDispositionCode[1]/@codeSystem",
      set_attr(f"{EE}/cda:dischargeDispositionCode", "codeSystem", "1.2.3")),
    m("SM-RESPONSIBLEPARTY", SM, f"{LEE}/responsibleParty[1]/assignedEntity[1]",
      set_attr(f"{EE}/cda:responsibleParty/cda:assignedEntity/cda:id", "root", "1.2.250.1.999.8")),
    m("SM-ENCOUNTERPARTICIPANT", SM, f"{LEE}/encounterParticipant[1]/@typeCode",
      set_attr(f"{EE}/cda:encounterParticipant", "typeCode", "XX")),
    m("SM-FACILITY-CODE", SM, f"{LEE}/location[1]/healthCareFacility[1]/code[1]/@code",
      set_attr(f"{EE}/cda:location/cda:healthCareFacility/cda:code", "code", "ZZ")),
    # -- N1 documents
    m("SM-N1-TEMPLATEIDS", N1, f"{CD}/templateId[4]/@root",
      insert_after("/cda:ClinicalDocument/cda:templateId[3]", '<templateId root="1.2.250.1.999.9"/>')),
    m("SM-N1-PDF-MEDIATYPE", N1, f"{LNXB}/text[1]/@mediaType", set_attr(f"{NXB}/cda:text", "mediaType", "text/plain")),
    m("SM-N1-PDF-BASE64", N1, f"{LNXB}/text[1]", set_text(f"{NXB}/cda:text", "@@@ ceci n'est pas du base64 @@@")),
    m("SM-N1-PDF-CONTENT", N1, f"{LNXB}/text[1]", set_text(f"{NXB}/cda:text", NOT_PDF)),
    # -- volets
    m("VOL-DETECT", SM, CD, set_attr("/cda:ClinicalDocument/cda:templateId[3]", "root", "1.2.250.1.999.10")),
    m("VOL-VERSION", VSM, f"{CD}/templateId[3]/@extension", set_attr("/cda:ClinicalDocument/cda:templateId[3]", "extension", "1999.01")),
    # Modèles de contenus CDA: a section author's specialty outside J01 (the header's is SM-SPECIALTY's too)
    m("MOD-JDV-AUTHOR-SPECIALTY", VSM, f"{LSB}/component[2]/section[1]/author[1]/assignedAuthor[1]/code[1]/@code",
      insert_after(f"{SB}/cda:component[2]/cda:section/cda:text", SECTION_AUTHOR.format(code="G15_10/SCH10"))),
    # the patient's sex in J143 with its code system (SM-PATIENT-GENDER checks the code only)
    m("MOD-JDV-GENDER", VSM, f"{LPAT}/administrativeGenderCode[1]/@code",
      set_attr(f"{PAT}/cda:administrativeGenderCode", "codeSystem", "2.16.840.1.113883.5.4")),
    # LDL-SES has one version: without @extension that version applies, and the report says so (info)
    m("VOL-VERSION-APPLIED", LDL, f"{CD}/templateId[3]", del_attr("/cda:ClinicalDocument/cda:templateId[3]", "extension")),
    m("VOL-DOCUMENT-CODE", LDL, f"{CD}/code[1]/@code", set_attr("/cda:ClinicalDocument/cda:code", "code", "18761-7")),
    m("VOL-VSM-HEADER", VSM, LSE, set_attr(f"{SE}/cda:code", "displayName", "Autre acte")),
    m("VOL-VSM-SECTIONS", VSM, LSB, delete(f"{SB}/cda:component[cda:section/cda:templateId/@root='1.2.250.1.213.1.1.2.32']")),
    m("VOL-CRBIO-HEADER", BIO, f"{CD}/title[1]", set_text("/cda:ClinicalDocument/cda:title", "Compte rendu")),
    m("VOL-CRBIO-PATIENT-NULLFLAVOR", BIO, f"{LPR}/telecom[1]/@nullFlavor",
      del_attr(f"{PR}/cda:telecom", "value", "use"), set_attr(f"{PR}/cda:telecom", "nullFlavor", "NASK")),
    m("VOL-CRBIO-AUTHENTICATOR", BIO, f"{CD}/authenticator[1]", delete("//cda:authenticator/cda:templateId")),
    m("VOL-CRBIO-PERFORMER", BIO, f"{LSE}/performer[1]", delete(f"{SE}/cda:performer/cda:time")),
    m("VOL-CRBIO-RESPONSIBLE", BIO, LEE, delete(f"{EE}/cda:responsibleParty/cda:assignedEntity/cda:code")),
    m("VOL-CRBIO-SECTIONS", BIO, LSB, delete(f"{SB}/cda:component[cda:section/cda:templateId/@root='1.2.250.1.213.1.1.2.243']")),
    m("VOL-CRBIO-LEVEL1", BIO, f"{LSB}/component[3]/section[1]",
      append(SB, '<component><section><templateId root="1.2.250.1.999.11"/><title>Autre</title></section></component>')),
    m("VOL-CRBIO-PDF", BIO, f"{LSB}/component[2]/section[1]/entry[1]/organizer[1]/component[2]/observationMedia[1]/value[1]",
      set_text(f"{SB}/cda:component[2]/cda:section//cda:observationMedia/cda:value", NOT_PDF)),
    m("VOL-LDLEES-SECTIONS", SM, LSB, delete(f"{SB}/cda:component[cda:section/cda:templateId/@root='1.3.6.1.4.1.19376.1.5.3.1.3.13']")),
    m("VOL-LDLSES-SECTIONS", LDL, LSB, delete(f"{SB}/cda:component[cda:section/cda:templateId/@root='1.3.6.1.4.1.19376.1.5.3.1.3.22']")),
]


def rename_root(name: str) -> Edit:
    def edit(root: etree._Element) -> None:
        root.tag = name
    return edit


# Further mutants for the other checks of some requirements (each still breaks only its requirement).
EXTRA_MUTANTS: list[Mutant] = [
    m("CDA-ROOT", SM, CD, rename_root("{urn:example:not-hl7}ClinicalDocument")),
    m("CDA-HEADER-CARDINALITY", SM, CD, delete("/cda:ClinicalDocument/cda:component")),
    m("SM-RECORDTARGET", SM, f"{CD}/recordTarget[2]", duplicate("/cda:ClinicalDocument/cda:recordTarget")),
    m("SM-PATIENT-FAMILY-QUALIFIER", SM, f"{LPAT}/name[1]/family[2]/@qualifier",
      set_attr(f"{PAT}/cda:name/cda:family[2]", "qualifier", "SP")),
    m("SM-TELECOM", SM, f"{LPR}/telecom[1]/@use", set_attr(f"{PR}/cda:telecom", "use", "XX")),
    m("SM-TELECOM", SM, f"{LPR}/telecom[1]/@nullFlavor", del_attr(f"{PR}/cda:telecom", "value", "use"),
      set_attr(f"{PR}/cda:telecom", "nullFlavor", "OTH")),
    m("SM-ADDR", SM, f"{LPR}/addr[1]", append(f"{PR}/cda:addr", "<city>EPERNAY</city>")),
    m("SM-ADDR", SM, f"{LPR}/addr[1]", *[delete(f"{PR}/cda:addr/cda:*[1]") for _ in range(4)],
      *[append(f"{PR}/cda:addr", f"<streetAddressLine>ligne {i}</streetAddressLine>") for i in range(8)]),
    # the header classes' order, cardinality and elements (CDA R2 schema)
    m("CDA-HEADER-PARTICIPATIONS", SM, f"{LAA}/id[1]", move_before(f"{AA}/cda:code", f"{AA}/cda:id")),
    m("CDA-HEADER-PARTICIPATIONS", SM, f"{CD}/custodian[1]/assignedCustodian[1]/representedCustodianOrganization[1]/name[2]",
      duplicate("//cda:representedCustodianOrganization/cda:name")),
    m("CDA-HEADER-PARTICIPATIONS", SM, f"{LPAT}/birthTime[2]", duplicate(f"{PAT}/cda:birthTime")),
    m("CDA-HEADER-PARTICIPATIONS", SM, f"{LPAT}/maidenName[1]", insert_after(f"{PAT}/cda:birthTime", "<maidenName>X</maidenName>")),
    m("CDA-HEADER-PARTICIPATIONS", SM, f"{CD}/dataEnterer[1]/assignedEntity[1]", insert_after("/cda:ClinicalDocument/cda:author[1]",
      "<dataEnterer><assignedEntity><assignedPerson><name><family>SAISIE-ESSAI</family></name></assignedPerson></assignedEntity>"
      "</dataEnterer>")),
    # the ANS model of the VSM section 1.2.250.1.213.1.1.2.29: its two sub-sections
    m("VOL-VSM-SECTIONS", VSM, f"{LSB}/component[1]/section[1]",
      delete(f"{SB}/cda:component/cda:section/cda:component[cda:section/cda:templateId/@root='1.2.250.1.213.1.1.2.31']")),
    # the attached-document organizer holds its document-type Simple Observation (E_organizerDocumentAttache_ANS)
    m("VOL-CRBIO-PDF", BIO, f"{LSB}/component[2]/section[1]/entry[1]/organizer[1]",
      delete(f"{SB}/cda:component[2]/cda:section//cda:organizer/cda:component[cda:observation]")),
    # StrucMin maxima tighter than the CDA schema
    m("SM-CARDINALITY", SM, f"{CD}/custodian[1]/assignedCustodian[1]/representedCustodianOrganization[1]/id[2]",
      insert_after("//cda:representedCustodianOrganization/cda:id", '<id root="1.2.250.1.71.4.2.2" extension="1750000002"/>')),
    m("SM-CARDINALITY", SM, f"{LAA}/assignedPerson[1]/name[1]/prefix[2]", duplicate(f"{AA}/cda:assignedPerson/cda:name/cda:prefix")),
    m("SM-CARDINALITY", SM, f"{LAA}/representedOrganization[1]/name[2]", duplicate(f"{AA}/cda:representedOrganization/cda:name")),
    m("SM-CARDINALITY", SM, f"{CD}/relatedDocument[1]/parentDocument[1]/id[2]",
      insert_after("//cda:relatedDocument/cda:parentDocument/cda:id", '<id root="1.2.250.1.999.1.1" extension="DOC-0001-0"/>')),
    # @use is a single code (cs data type in the StrucMin schematron)
    m("SM-TELECOM", SM, f"{LPR}/telecom[1]/@use", set_attr(f"{PR}/cda:telecom", "use", "WP MC")),
    m("SM-ADDR", SM, f"{LPR}/addr[1]/@use", set_attr(f"{PR}/cda:addr", "use", "H WP")),
    # data types: II/@root is an OID or a UUID; a TS is a real date
    m("SM-DATATYPES", SM, f"{CD}/setId[1]/@root", set_attr("/cda:ClinicalDocument/cda:setId", "root", "SET-ROOT")),
    m("SM-DATATYPES", SM, f"{LPAT}/birthTime[1]/@value", set_attr(f"{PAT}/cda:birthTime", "value", "19790230")),
    m("SM-DATATYPES", SM, f"{CD}/legalAuthenticator[1]/time[1]/@value",
      set_attr("/cda:ClinicalDocument/cda:legalAuthenticator/cda:time", "value", "20250312143000+1500")),
    m("SM-DATATYPES", SM, f"{LAA}/representedOrganization[1]/id[1]/@root",
      set_attr(f"{AA}/cda:representedOrganization/cda:id", "root", "1.2.250.1.71.4.2.02")),
    # the XD-LAB extension places lab:statusCode right after serviceEvent/code (CDA_extended.xsd)
    m("SM-LAB-STATUSCODE", BIO, f"{LSE}/lab:statusCode[1]", move_before(f"{SE}/lab:statusCode", f"{SE}/cda:performer")),
    m("SM-ADDR-FORM", SM, f"{CD}/author[1]/assignedAuthor[1]/representedOrganization[1]/addr[1]",
      append(f"{AA}/cda:representedOrganization/cda:addr", "<careOf>Secrétariat</careOf>")),
    m("SM-CONFIDENTIALITY", SM, f"{CD}/confidentialityCode[1]/@displayName",
      del_attr("/cda:ClinicalDocument/cda:confidentialityCode", "displayName")),
    m("SM-PATIENT-INS", SM, LPAT, delete(f"{PAT}/cda:name/cda:given[not(@qualifier)]")),
    m("SM-LEGALAUTH", SM, CD, delete("/cda:ClinicalDocument/cda:legalAuthenticator")),
    m("SM-N1-TEMPLATEIDS", N1, CD, set_attr("/cda:ClinicalDocument/cda:templateId[3]", "root", "1.2.250.1.999.12")),
    m("SM-AUTHOR-PERSON-DEVICE", SM, LAA, insert_after(f"{AA}/cda:assignedPerson",
      "<assignedAuthoringDevice><manufacturerModelName>X</manufacturerModelName><softwareName>Y</softwareName></assignedAuthoringDevice>")),
    m("SM-INFORMANT-RELATED", SM, f"{CD}/informant[1]/relatedEntity[1]/code[1]/@code",
      set_attr("//cda:informant/cda:relatedEntity/cda:code", "code", "ZZ")),
    m("SM-CODE-J07", N1, f"{CD}/code[1]/@code", set_attr("/cda:ClinicalDocument/cda:code", "codeSystem", "1.2.250.1.213.1.1.4.12")),
    m("VOL-VERSION", VSM, f"{CD}/templateId[3]/@extension", del_attr("/cda:ClinicalDocument/cda:templateId[3]", "extension")),
    m("VOL-CRBIO-HEADER", BIO, f"{CD}/versionNumber[1]", set_attr("/cda:ClinicalDocument/cda:versionNumber", "value", "0")),
    m("VOL-CRBIO-HEADER", BIO, CD, delete("/cda:ClinicalDocument/cda:templateId[@root='1.3.6.1.4.1.19376.1.3.3']"),
      delete(f"{SE}/lab:statusCode")),  # without the XD-LAB templateId, lab:statusCode would break SM-LAB-STATUSCODE too
    m("SM-SERVICEEVENT-MAIN", SM, LSE, delete(f"{SE}/cda:effectiveTime")),  # (two effectiveTime also break CDA-HEADER-PARTICIPATIONS)
    m("SM-CUSTODIAN-ID", SM, f"{CD}/custodian[1]/assignedCustodian[1]/representedCustodianOrganization[1]/id[1]/@extension",
      set_attr("//cda:representedCustodianOrganization/cda:id", "root", "1.2.250.1.213.4.1"),
      del_attr("//cda:representedCustodianOrganization/cda:id", "extension")),
]
