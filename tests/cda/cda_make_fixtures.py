"""Writes the project's own CDA fixtures (run by hand: `python tests/cda/cda_make_fixtures.py`).

Every document is synthetic: the agency's fictitious test patient PAT-TROIS DOMINIQUE with the
test INS-NIR root 1.2.250.1.213.1.4.10, invented professionals (RPPS-like numbers), invented
structures, `.invalid` mail domains. Written from the CI-SIS rules, not copied from any example.
"""

from __future__ import annotations

import base64
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFORMING = ROOT / "fixtures" / "conforming" / "cda"
NONCONFORMING = ROOT / "fixtures" / "nonconforming" / "cda"


def tiny_pdf(text: str) -> bytes:
    """A valid one-page PDF 1.4 showing `text` (cross-reference offsets computed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def b64(data: bytes) -> str:
    text = base64.b64encode(data).decode()
    return "\n".join(text[i:i + 76] for i in range(0, len(text), 76))


ORG_ADDR = ("<addr use=\"WP\"><houseNumber>10</houseNumber><streetName>rue des Essais</streetName><postalCode>75012</postalCode>"
            "<city>PARIS</city></addr>")
SPECIALTY = '<code code="G15_10/SM54" codeSystem="1.2.250.1.213.1.1.4.5" displayName="Médecine générale (SM)"/>'
BIOLOGIST = '<code code="G15_10/SM05" codeSystem="1.2.250.1.213.1.1.4.5" displayName="Biologie médicale (SM)"/>'
SETTING = '<standardIndustryClassCode code="AMBULATOIRE" codeSystem="1.2.250.1.213.1.1.4.9" displayName="Ambulatoire"/>'


def org(ext: str = "1750000000", name: str = "Cabinet médical Exemple") -> str:
    return (f'<representedOrganization><id root="1.2.250.1.71.4.2.2" extension="{ext}"/><name>{name}</name>'
            f'<telecom value="tel:+33100000001" use="WP"/>{ORG_ADDR}{SETTING}</representedOrganization>')


def person(family: str = "MEDECIN-ESSAI", given: str = "Jean", prefix: str = "M", suffix: str = "DR") -> str:
    return f"<name><prefix>{prefix}</prefix><given>{given}</given><family>{family}</family><suffix>{suffix}</suffix></name>"


def header(*, templates: str, code: str, title: str, number: int, guardian: str = "", extra_authors: str = "", informant: str = "",
           recipient: str = "", authenticator: str = "", participant: str = "", fulfillment: str = "", service_code: str = "",
           performer_time: str = "", service_status: str = "", related: str = "",
           authorization: str = "", encounter_extra: str = "", responsible_code: str = SPECIALTY) -> str:
    return f"""<realmCode code="FR"/>
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <templateId root="2.16.840.1.113883.2.8.2.1"/>
  <templateId root="1.2.250.1.213.1.1.1.1"/>
  {templates}
  <id root="1.2.250.1.999.1.1" extension="DOC-{number:04d}-2"/>
  {code}
  <title>{title}</title>
  <effectiveTime value="20250312143000+0100"/>
  <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25" displayName="Normal"/>
  <languageCode code="fr-FR"/>
  <setId root="1.2.250.1.999.1.2" extension="SET-{number:04d}"/>
  <versionNumber value="2"/>
  <recordTarget>
    <patientRole>
      <id root="1.2.250.1.213.1.4.10" extension="279035121518989"/>
      <id root="1.2.250.1.999.2.1" extension="IPP-{number:06d}"/>
      <addr use="H"><houseNumber>1</houseNumber><streetName>rue de l'Exemple</streetName><postalCode>51100</postalCode>\
<city>REIMS</city></addr>
      <telecom value="tel:+33600000000" use="MC"/>
      <patient>
        <name>
          <family qualifier="BR">PAT-TROIS</family>
          <family qualifier="CL">ESSAI</family>
          <given qualifier="BR">DOMINIQUE</given>
          <given>DOMINIQUE MARIE</given>
          <given qualifier="CL">DOMI</given>
        </name>
        <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1" displayName="Féminin"/>
        <birthTime value="19790328"/>
        {guardian}
        <birthplace><place><addr><county>51215</county><city>REIMS</city></addr></place></birthplace>
      </patient>
    </patientRole>
  </recordTarget>
  <author>
    <functionCode code="PCP" codeSystem="2.16.840.1.113883.5.88" displayName="Médecin traitant"/>
    <time value="20250312143000+0100"/>
    <assignedAuthor>
      <id root="1.2.250.1.71.4.2.1" extension="801234567897"/>
      {SPECIALTY}
      <telecom value="mailto:jean.medecin-essai@exemple.invalid" use="WP"/>
      <assignedPerson>{person()}</assignedPerson>
      {org()}
    </assignedAuthor>
  </author>
  {extra_authors}
  {informant}
  <custodian>
    <assignedCustodian>
      <representedCustodianOrganization>
        <id root="1.2.250.1.71.4.2.2" extension="1750000000"/>
        <name>Cabinet médical Exemple</name>
        <telecom value="tel:+33100000001" use="WP"/>
        {ORG_ADDR}
      </representedCustodianOrganization>
    </assignedCustodian>
  </custodian>
  {recipient}
  <legalAuthenticator>
    <time value="20250312143000+0100"/>
    <signatureCode code="S"/>
    <assignedEntity>
      <id root="1.2.250.1.71.4.2.1" extension="801234567897"/>
      {SPECIALTY}
      <telecom value="tel:+33100000001" use="WP"/>
      <assignedPerson>{person()}</assignedPerson>
      {org()}
    </assignedEntity>
  </legalAuthenticator>
  {authenticator}
  {participant}
  {fulfillment}
  <documentationOf>
    <serviceEvent>
      {service_code or '<code code="IMP" codeSystem="2.16.840.1.113883.5.4" displayName="Hospitalisation"/>'}
      {service_status}
      <effectiveTime><low value="20250301"/><high value="20250312"/></effectiveTime>
      <performer typeCode="PRF">
        {performer_time}
        <assignedEntity>
          <id root="1.2.250.1.71.4.2.1" extension="801234567897"/>
          {SPECIALTY}
          {ORG_ADDR}
          <telecom value="tel:+33100000001" use="WP"/>
          <assignedPerson>{person()}</assignedPerson>
          {org()}
        </assignedEntity>
      </performer>
    </serviceEvent>
  </documentationOf>
  {related}
  {authorization}
  <componentOf>
    <encompassingEncounter>
      <id root="1.2.250.1.999.4.1" extension="SEJ-{number:04d}"/>
      <code code="IMP" codeSystem="2.16.840.1.113883.5.4" displayName="Hospitalisation"/>
      <effectiveTime><low value="20250301"/><high value="20250312"/></effectiveTime>
      {encounter_extra}
      <responsibleParty>
        <assignedEntity>
          <id root="1.2.250.1.71.4.2.1" extension="801234567897"/>
          {responsible_code}
          <assignedPerson>{person()}</assignedPerson>
          <representedOrganization><id root="1.2.250.1.71.4.2.2" extension="1750000000"/><name>Cabinet médical Exemple</name>\
</representedOrganization>
        </assignedEntity>
      </responsibleParty>
      <location>
        <healthCareFacility>
          <code code="SA01" codeSystem="1.2.250.1.71.4.2.4" displayName="Etablissement Public de santé"/>
        </healthCareFacility>
      </location>
    </encompassingEncounter>
  </componentOf>"""


def document(head: str, body: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!-- Synthetic test document of enrs-harness: fictitious patient and professionals. '
            '-->\n'
            '<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" classCode="DOCCLIN" '
            'moodCode="EVN">\n'
            f'  {head}\n  <component>\n{body}\n  </component>\n</ClinicalDocument>\n')


def section(template: str | tuple[str, ...], code: str, system: str, name: str, text: str, inner: str = "") -> str:
    """A section with its templateId(s) (IHE parent template first, as the IHE schematrons expect)."""
    roots = (template,) if isinstance(template, str) else template
    templates = "".join(f'<templateId root="{root}"/>' for root in roots)
    return (f'<component><section>{templates}<id root="1.2.250.1.999.5" extension="{roots[-1]}"/>'
            f'<code code="{code}" codeSystem="{system}" displayName="{name}"/><title>{name}</title><text>{text}</text>{inner}</section>'
            '</component>')


def structured(*sections: str) -> str:
    return "    <structuredBody>\n      " + "\n      ".join(sections) + "\n    </structuredBody>"


OBSERVATION = ('<entry><observation classCode="OBS" moodCode="EVN"><code code="8302-2" codeSystem="2.16.840.1.113883.6.1" '
               'displayName="Taille"/>'
               '<statusCode code="completed"/><effectiveTime value="20250310"/><value xsi:type="PQ" value="168" unit="cm"/></observation>'
               '</entry>')


# -- IHE PCC entries, written from the IHE PCC / CI-SIS entry rules that the kit's IHE.sch and CI-SIS_Modeles_ANS.sch check.
# Each entry's text/reference points to a narrative element carrying that ID in its section's text.

def simple_observation(ref: str, code: str, name: str, value: str, *,
                       extra_templates: tuple[str, ...] = (), system: str = "2.16.840.1.113883.6.1",
                       effective: str = '<effectiveTime value="20250310"/>') -> str:
    """IHE Simple Observation (1.3.6.1.4.1.19376.1.5.3.1.4.13): id, code, text/reference, statusCode completed, effectiveTime, one value."""
    templates = "".join(f'<templateId root="{root}"/>' for root in ("1.3.6.1.4.1.19376.1.5.3.1.4.13", *extra_templates))
    return (f'<observation classCode="OBS" moodCode="EVN">{templates}<id root="1.2.250.1.999.7" extension="{ref}"/>'
            f'<code code="{code}" codeSystem="{system}" displayName="{name}"/><text><reference value="#{ref}"/></text>'
            f'<statusCode code="completed"/>{effective}{value}</observation>')


def medication(ref: str, name: str) -> str:
    """IHE Medications entry (1.3.6.1.4.1.19376.1.5.3.1.4.7, normal dosing 4.7.1, CCD 2.16.840.1.113883.10.20.1.24) with its
    Product (4.7.2).

    The product is named, not coded: a coded product must use the CIS code system (1.2.250.1.213.2.3.1), and we invent no CIS code."""
    return ('<entry><substanceAdministration classCode="SBADM" moodCode="INT">'
            '<templateId root="2.16.840.1.113883.10.20.1.24"/><templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.7"/>'
            f'<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.7.1"/><id root="1.2.250.1.999.7" extension="{ref}"/>'
            f'<text><reference value="#{ref}"/></text><statusCode code="completed"/>'
            '<effectiveTime xsi:type="IVL_TS"><low value="20250312"/><high value="20250412"/></effectiveTime>'
            '<consumable><manufacturedProduct><templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.7.2"/>'
            '<templateId root="2.16.840.1.113883.10.20.1.53"/>'
            f'<manufacturedMaterial><code nullFlavor="UNK"><originalText><reference value="#{ref}-produit"/></originalText></code>'
            f'<name>{name}</name></manufacturedMaterial></manufacturedProduct></consumable></substanceAdministration></entry>')


def medication_text(ref: str, name: str, posology: str) -> str:
    return f'<paragraph ID="{ref}"><content ID="{ref}-produit">{name}</content> : {posology}</paragraph>'


ALLERGY = ('<entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.1.27"/>'
           '<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.5.1"/><templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.5.3"/>'
           '<id root="1.2.250.1.999.7" extension="allergie-1"/><code nullFlavor="NA"/><statusCode code="active"/>'
           '<effectiveTime><low value="20100101"/></effectiveTime>'
           '<entryRelationship typeCode="SUBJ" inversionInd="false"><observation classCode="OBS" moodCode="EVN">'
           '<templateId root="2.16.840.1.113883.10.20.1.18"/><templateId root="2.16.840.1.113883.10.20.1.28"/>'
           '<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.5"/><templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.6"/>'
           '<id root="1.2.250.1.999.7" extension="allergie-1-obs"/>'
           '<code code="416098002" codeSystem="2.16.840.1.113883.6.96" displayName="allergie médicamenteuse"/>'
           '<text><reference value="#allergie-1"/></text><statusCode code="completed"/><effectiveTime><low value="20100101"/>'
           '</effectiveTime>'
           '<value xsi:type="CD" code="91936005" codeSystem="2.16.840.1.113883.6.96" displayName="Allergie à la pénicilline">'
           '<originalText><reference value="#allergie-1"/></originalText></value></observation></entryRelationship></act></entry>')


LOINC = "2.16.840.1.113883.6.1"

GUARDIAN = ('<guardian><telecom value="tel:+33600000001" use="MC"/><guardianPerson><name><prefix>MME</prefix>'
            '<family qualifier="BR">TUTRICE-ESSAI</family><given>Hélène</given></name></guardianPerson></guardian>')
INFORMANT = ('<informant><relatedEntity classCode="NOK"><code code="SIS" codeSystem="2.16.840.1.113883.5.111" displayName="Sœur"/>'
             '<telecom value="tel:+33600000002" use="MC"/><relatedPerson><name><prefix>MME</prefix><given>Claire</given>'
             '<family>SOEUR-ESSAI</family></name></relatedPerson></relatedEntity></informant>')
RECIPIENT = ('<informationRecipient><intendedRecipient><id root="1.2.250.1.71.4.2.1" extension="809876543210"/>'
             '<telecom value="mailto:anne.destinataire@exemple.invalid"/>'
             '<informationRecipient><name><prefix>MME</prefix><given>Anne</given><family>DESTINATAIRE-ESSAI</family><suffix>DR</suffix>'
             '</name></informationRecipient>'
             '<receivedOrganization><id root="1.2.250.1.71.4.2.2" extension="1750000001"/><name>Centre de santé Exemple</name>'
             '</receivedOrganization>'
             '</intendedRecipient></informationRecipient>')
PARTICIPANT = ('<participant typeCode="INF"><functionCode code="PCP" codeSystem="2.16.840.1.113883.5.88" displayName="Médecin traitant"/>'
               '<time><low value="20240101"/></time><associatedEntity classCode="PROV">'
               '<id root="1.2.250.1.71.4.2.1" extension="801111111118"/>'
               f'{SPECIALTY}<telecom value="tel:+33100000003" use="WP"/><associatedPerson>'
               f'{person("TRAITANT-ESSAI", "Paul")}</associatedPerson>'
               '</associatedEntity></participant>')


def authenticator_xml(template: str = "") -> str:
    return (f'<authenticator>{template}<time value="20250312120000+0100"/><signatureCode code="S"/><assignedEntity>'
            f'<id root="1.2.250.1.71.4.2.1" extension="801222222229"/>{BIOLOGIST}{ORG_ADDR}<telecom value="tel:+33100000004" use="WP"/>'
            f'<assignedPerson>{person("BIOLOGISTE-ESSAI", "Marie", "MME")}</assignedPerson>{org("1750000009", "Laboratoire Exemple")}'
            '</assignedEntity></authenticator>')


def sm_n3() -> str:
    head = header(
        templates='<templateId root="1.2.250.1.213.1.1.1.21" extension="2022.01"/>',
        code=f'<code code="18761-7" codeSystem="{LOINC}" displayName="Note de transfert"/>',
        title="Note de transfert (document d'essai)", number=1, guardian=GUARDIAN, informant=INFORMANT, recipient=RECIPIENT,
        authenticator=authenticator_xml(), participant=PARTICIPANT,
        fulfillment='<inFulfillmentOf><order><id root="1.2.250.1.999.3.1" extension="CMD-0001"/></order></inFulfillmentOf>',
        related='<relatedDocument typeCode="RPLC"><parentDocument><id root="1.2.250.1.999.1.1" extension="DOC-0001-1"/></parentDocument>'
                '</relatedDocument>',
        authorization=('<authorization typeCode="AUTH"><consent classCode="CONS" moodCode="EVN">'
                       '<code code="42348-3" codeSystem="2.16.840.1.113883.6.1" '
                       'displayName="Directives anticipées"/><statusCode code="completed"/></consent></authorization>'),
        encounter_extra=('<dischargeDispositionCode code="8" codeSystem="1.2.250.1.213.2.14" displayName="Domicile"/>'),
    )
    head = head.replace("<location>", '<encounterParticipant typeCode="ATND"><time><low value="20250301"/><high value="20250312"/></time>'
                        '<assignedEntity><id root="1.2.250.1.71.4.2.1" extension="801234567897"/><assignedPerson>'
                        f'{person()}</assignedPerson></assignedEntity></encounterParticipant>\n      <location>')
    body = structured(
        section("1.3.6.1.4.1.19376.1.5.3.1.3.1", "42349-1", LOINC, "Raison de la recommandation", "Transfert pour surveillance.",
                OBSERVATION + '<component><section><title>Précisions</title><text>Sous-section d\'essai.</text></section></component>'),
        section("1.3.6.1.4.1.19376.1.5.3.1.3.20", "42346-7", LOINC, "Traitements à l'admission",
                medication_text("traitement-admission-1", "Paracétamol 500 mg", "1 comprimé 3 fois par jour"),
                medication("traitement-admission-1", "Paracétamol 500 mg")),
        section(("2.16.840.1.113883.10.20.1.2", "1.3.6.1.4.1.19376.1.5.3.1.3.13"), "48765-2", LOINC, "Allergies et intolérances",
                '<paragraph ID="allergie-1">Allergie à la pénicilline</paragraph>', ALLERGY),
        section(("2.16.840.1.113883.10.12.201", "1.3.6.1.4.1.19376.1.4.1.2.16"),
                "55112-7", LOINC, "Commentaire", "Pas de commentaire particulier."),
    )
    return document(head, body)


def n1() -> str:
    head = header(templates='<templateId root="1.3.6.1.4.1.19376.1.2.20"/>',
                  code=f'<code code="11488-4" codeSystem="{LOINC}" displayName="Compte rendu de consultation"/>',
                  title="Compte rendu de consultation (document d'essai N1)", number=2)
    pdf = b64(tiny_pdf("Document d'essai enrs-harness - patient fictif"))
    body = f'    <nonXMLBody>\n      <text mediaType="application/pdf" representation="B64">\n{pdf}\n      </text>\n    </nonXMLBody>'
    return document(head, body)


def vsm(number: int = 3) -> str:
    head = header(templates='<templateId root="1.2.250.1.213.1.1.1.13" extension="2023.01"/>',
                  code='<code code="SYNTH" codeSystem="1.2.250.1.213.1.1.4.12" displayName="Synthèse"/>',
                  title="Volet de synthèse médicale (document d'essai)", number=number,
                  service_code=f'<code code="34117-2" codeSystem="{LOINC}" codeSystemName="LOINC" displayName="Historique et clinique"/>')
    body = structured(
        section("1.2.250.1.213.1.1.2.29", "46612-8", LOINC, "Pathologies, antécédents, allergies et facteurs de risque", "Aucun antécédent "
                                                                                                                         "notable.",
                section("1.2.250.1.213.1.1.2.30", "34117-2", LOINC,
                        "Pathologie en cours, antécédents et allergies", "Aucune pathologie en cours.")
                + section("1.2.250.1.213.1.1.2.31", "57207-3", LOINC, "Facteurs de risque", "Aucun facteur de risque connu.")),
        section("1.3.6.1.4.1.19376.1.5.3.1.3.27", "30954-2", LOINC, "Résultats", "Taille 168 cm."),
        section("1.2.250.1.213.1.1.2.32", "18776-5", LOINC, "Traitement au long cours", "Aucun traitement au long cours."),
    )
    return document(head, body)


def cr_bio() -> str:
    device_author = ('<author><time value="20250312120000+0100"/><assignedAuthor><id root="1.2.250.1.71.4.2.2" extension="1750000009"/>'
                     '<assignedAuthoringDevice><manufacturerModelName>SGL-Essai</manufacturerModelName><softwareName>'
                     'SGL-Essai 1.0</softwareName>'
                     f'</assignedAuthoringDevice>{org("1750000009", "Laboratoire Exemple")}</assignedAuthor></author>')
    head = header(
        templates=('<templateId root="1.3.6.1.4.1.19376.1.3.3"/>\n  <templateId root="1.2.250.1.213.1.1.1.55" extension="2024.01"/>'),
        code=f'<code code="11502-2" codeSystem="{LOINC}" displayName="CR d\'examens biologiques"/>',
        title="Compte rendu d'examens biologiques", number=4, extra_authors=device_author,
        authenticator=authenticator_xml('<templateId root="1.3.6.1.4.1.19376.1.3.3.1.5"/>'),
        service_code=f'<code code="11502-2" codeSystem="{LOINC}" displayName="CR d\'examens biologiques"/>',
        performer_time='<time><low value="20250312080000+0100"/></time>', responsible_code=BIOLOGIST,
        service_status='<lab:statusCode xmlns:lab="urn:oid:1.3.6.1.4.1.19376.1.3.2" code="completed"/>')
    pdf = b64(tiny_pdf("Compte rendu d'examens biologiques d'essai - patient fictif"))
    attached = ('<entry><organizer classCode="CLUSTER" moodCode="EVN"><templateId root="1.2.250.1.213.1.1.3.18"/>'
                '<id root="1.2.250.1.999.6" extension="PDF-0004"/><code code="55107-7" codeSystem="2.16.840.1.113883.6.1" '
                'displayName="Document attaché"/>'
                '<statusCode code="completed"/><component>'
                + simple_observation("type-document", "69764-9", "Type de document", '<value xsi:type="CD"><originalText>'
                                                                                     '<reference value="#type-document"/></originalText>'
                                                                                     '</value>',
                                     extra_templates=("1.2.250.1.213.1.1.3.48", "1.2.250.1.213.1.1.3.48.18"), effective='<effectiveTime '
                                                                                                                        'nullFlavor="NA"/>')
                + '</component><component><observationMedia classCode="OBS" moodCode="EVN">'
                f'<value mediaType="application/pdf" representation="B64">{pdf}</value></observationMedia></component></organizer></entry>')
    body = structured(
        section("1.3.6.1.4.1.19376.1.3.3.2.1", "18719-5", LOINC, "Biochimie", "Glycémie à jeun : 5,1 mmol/L.",
                ('<entry><observation classCode="OBS" moodCode="EVN"><code code="14749-6" codeSystem="2.16.840.1.113883.6.1" '
                 'displayName="Glucose"/>'
                 '<statusCode code="completed"/><effectiveTime value="20250312080000+0100"/>'
                 '<value xsi:type="PQ" value="5.1" unit="mmol/L"/></observation></entry>')),
        section("1.2.250.1.213.1.1.2.243", "55108-5", LOINC, "Copie du document",
                '<paragraph ID="type-document">Compte rendu d\'examens biologiques</paragraph>', attached),
    )
    return document(head, body)


def ldl_ses() -> str:
    head = header(templates='<templateId root="1.2.250.1.213.1.1.1.29" extension="2022.01"/>',
                  code=f'<code code="11490-0" codeSystem="{LOINC}" displayName="Lettre de liaison à la sortie"/>',
                  title="Lettre de liaison à la sortie (document d'essai)", number=5,
                  encounter_extra='<dischargeDispositionCode code="8" codeSystem="1.2.250.1.213.2.14" displayName="Domicile"/>')
    body = structured(
        section("1.2.250.1.213.1.1.2.35.1", "33557-0", LOINC, "Statut du document", "Document validé."),
        section("1.3.6.1.4.1.19376.1.5.3.1.3.1", "42349-1", LOINC, "Raison de la recommandation", "Hospitalisation programmée."),
        section(("1.3.6.1.4.1.19376.1.5.3.1.1.21.2.9", "1.3.6.1.4.1.19376.1.7.3.1.1.13.7"), "42545-4", LOINC, "Evènements observés",
                '<paragraph ID="evenement-1">Transfusion de produits sanguins : non</paragraph>',
                '<entry>' + simple_observation("evenement-1", "MED-145", "Transfusion de produits sanguins", '<value xsi:type="BL" '
                                                                                                             'value="false"/>',
                                                system="1.2.250.1.213.1.1.4.322") + '</entry>'),
        section("1.3.6.1.4.1.19376.1.5.3.1.3.22", "10183-2", LOINC, "Traitements à la sortie",
                medication_text("traitement-sortie-1", "Paracétamol 500 mg", "1 comprimé si douleur, au plus 3 par jour"),
                medication("traitement-sortie-1", "Paracétamol 500 mg")),
    )
    return document(head, body)


def self_presenting() -> str:
    inner = vsm(number=6).split("\n", 2)[2]  # the ClinicalDocument element, without the XML declaration and comment
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!-- Synthetic self-presenting test document of enrs-harness. -->\n'
            '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:cda="urn:hl7-org:v3">\n'
            '  <xsl:output method="html" encoding="UTF-8"/>\n'
            '  <xsl:template match="/"><html><body><h1><xsl:value-of select="document(\'\')//cda:ClinicalDocument/cda:title"/></h1></body>'
            '</html></xsl:template>\n'
            f'{inner}</xsl:stylesheet>\n')


def nonconforming() -> dict[str, str]:
    broken_n1 = n1().replace('<templateId root="1.3.6.1.4.1.19376.1.2.20"/>', "").replace('<realmCode code="FR"/>', "")
    broken_n1 = broken_n1.replace('<languageCode code="fr-FR"/>', '<languageCode code="french"/>')
    broken_vsm = vsm(number=7).replace('<telecom value="tel:+33600000000" use="MC"/>', '<telecom value="06 00 00 00 00"/>')
    broken_vsm = broken_vsm.replace('<templateId root="1.2.250.1.213.1.1.2.32"/>', '<templateId root="1.2.250.1.999.9"/>')
    xxe = ('<?xml version="1.0"?>\n<!DOCTYPE ClinicalDocument [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
           '<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&xxe;</title></ClinicalDocument>\n')
    return {"n1-missing-xdssd-realm-language.xml": broken_n1, "vsm-bad-telecom-missing-section.xml": broken_vsm, "xxe-entity.xml": xxe}


def main() -> None:
    CONFORMING.mkdir(parents=True, exist_ok=True)
    NONCONFORMING.mkdir(parents=True, exist_ok=True)
    for name, text in {"sm-n3-ldl-ees.xml": sm_n3(), "n1-pdf.xml": n1(), "vsm-2023.xml": vsm(), "cr-bio-2024.xml": cr_bio(),
                       "ldl-ses-2022.xml": ldl_ses(), "self-presenting-vsm.xml": self_presenting()}.items():
        (CONFORMING / name).write_text(text, encoding="utf-8")
    for name, text in nonconforming().items():
        (NONCONFORMING / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
