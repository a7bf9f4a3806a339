"""Own-authored HL7 v2 test messages (fictitious patient, INS under the TEST OID) and mutation helpers.

`make_fixtures.py` writes the conforming and nonconforming fixture files from these builders.
"""

from __future__ import annotations

import base64
from pathlib import Path

HOSP = "HOPITAL-TEST&1.2.250.1.999.1.1&ISO"
NIR = "1841299123456"  # fictitious, under the TEST OID 1.2.250.1.213.1.4.10
INS = NIR + f"{97 - int(NIR) % 97:02d}"
PID3 = f"100001^^^{HOSP}^PI~{INS}^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS^^20200101"
STRUCTURES = {"A01": "ADT_A01", "A02": "ADT_A02", "A03": "ADT_A03", "A04": "ADT_A01", "A05": "ADT_A05", "A06": "ADT_A06", "A07": "ADT_A06",
              "A08": "ADT_A01", "A11": "ADT_A09", "A12": "ADT_A12", "A13": "ADT_A01", "A21": "ADT_A21", "A22": "ADT_A21", "A28": "ADT_A05",
              "A31": "ADT_A05", "A38": "ADT_A38", "A40": "ADT_A39", "A47": "ADT_A30"}
CANCELS = {"A11": "A01", "A12": "A02", "A13": "A03", "A38": "A05"}


def seg(name: str, fields: dict[int, str]) -> str:
    """A segment from {field number: raw value}."""
    top = max(fields) if fields else 0
    return "|".join([name] + [fields.get(i, "") for i in range(1, top + 1)])


def msh(message_type: str, control_id: str, version: str, profile: str,
        charset: str = "UNICODE UTF-8", processing: str = "T", language: str = "FR") -> str:
    return ("MSH|^~\\&|" + "|".join(["GAM-TEST", "HOPITAL-TEST", "DPI-TEST", "HOPITAL-TEST",
                                     "20250110093000", "", message_type, control_id, processing,
                                      version, "", "", "", "", "FRA", charset, language, "", profile]))


def pid(identifiers: str = PID3, status: str = "VALI") -> str:
    return seg("PID", {1: "1", 3: identifiers, 5: "TESTNOM^CAMILLE^CAMILLE ALEXIS^^^^L", 7: "19841210", 8: "F",
                       11: "1 rue de l'Exemple^^VILLETEST^^99999^FRA^H", 30: "N", 32: status, 33: "20250110092000"})


def pv1(patient_class: str = "I") -> str:
    return seg("PV1", {1: "1", 2: patient_class, 3: f"^^^{HOSP}", 19: f"V00001^^^{HOSP}^VN^^20250110", 44: "20250110092500"})


def zbe(action: str = "INSERT", original: str = "") -> str:
    return seg("ZBE", {1: "MVT0001^HOPITAL-TEST^1.2.250.1.999.1.1^ISO", 2: "20250110092500", 4: action, 5: "N", 6: original,
                       7: f"MEDECINE^^^^^{HOSP}^UF^^^1001", 9: "HMS"})


def adt(trigger: str, control_id: str | None = None) -> str:
    """A conforming PAM FR ADT message for `trigger`, segments separated by CR."""
    structure = STRUCTURES[trigger]
    segments = [msh(f"ADT^{trigger}^{structure}", control_id or f"MSG{trigger}", "2.5^FRA^2.11", "2.11^IHE_FRANCE-2.11-PAM"),
                seg("EVN", {2: "20250110093000", 6: "20250110092500"}), pid()]
    if trigger == "A40":
        segments += [seg("MRG", {1: f"100002^^^{HOSP}^PI"})]
    elif trigger == "A47":
        segments += [seg("MRG", {1: f"100003^^^{HOSP}^PI"})]
    elif trigger in ("A28", "A31"):
        segments += [pv1("N"), "ZFD|||Y|N|INSI|20250110"]
    else:
        segments += [pv1()]
        if trigger in CANCELS:
            segments += [zbe("CANCEL", CANCELS[trigger])]
        elif trigger != "A08":
            segments += [zbe("INSERT"), "ZFA|ACTIF|20250110093000|||||||INO|20250110093000|IC|20250110093000", "ZFD|||Y|N|INSI|20250110"]
    return "\r".join(segments) + "\r"


# -- CDA over HL7 v2 ---------------------------------------------------------------------------
DOC_ROOT, DOC_EXT, PARENT_EXT = "1.2.250.1.999.1.1.2", "DOC0001", "DOC0000"


def cda(replaces: bool = False, padding_text: str = "") -> bytes:
    """A small CDA R2 document of our own: patientRole/id = the IPP and INS of PID-3."""
    related = (f'<relatedDocument typeCode="RPLC"><parentDocument><id root="{DOC_ROOT}" extension="{PARENT_EXT}"/></parentDocument>'
               '</relatedDocument>'
               if replaces else "")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <realmCode code="FR"/>
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <templateId root="2.16.840.1.113883.2.8.2.1"/>
  <templateId root="1.2.250.1.213.1.1.1.1"/>
  <id root="{DOC_ROOT}" extension="{DOC_EXT}"/>
  <code code="11502-2" codeSystem="2.16.840.1.113883.6.1" displayName="CR d'examens biologiques"/>
  <title>Compte rendu de test</title>
  <effectiveTime value="20250110093000+0100"/>
  <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>
  <languageCode code="fr-FR"/>
  <setId root="{DOC_ROOT}" extension="SET0001"/>
  <versionNumber value="{2 if replaces else 1}"/>
  <recordTarget><patientRole>
    <id root="1.2.250.1.213.1.4.10" extension="{INS}"/>
    <id root="1.2.250.1.999.1.1" extension="100001"/>
    <patient><name><family qualifier="BR">TESTNOM</family><given>CAMILLE</given></name>
      <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/><birthTime value="19841210"/></patient>
  </patientRole></recordTarget>
  {related}
  <component><structuredBody><component><section>
    <title>Résultats</title><text>Document de test sans donnée réelle.{padding_text}</text>
  </section></component></structuredBody></component>
</ClinicalDocument>
""".encode()


META = [("MASQUE_PS", "Masqué aux professionnels de Santé", "N"), ("INVISIBLE_PATIENT", "Document Non Visible par le patient", "N"),
        ("INVISIBLE_REP_LEGAUX", "Non visible par les représentants Légaux du patient", "N"),
        ("CONNEXION_SECRETE", "Connexion Secrete", "N"),
        ("MODIF_CONF_CODE", "Modification Confidentiality Code", "N"), ("DESTDMP", "Destinataire DMP", "Y"),
        ("DESTMSSANTEPS", "Destinataire (Professionnel de Santé, organisation ou BAL applicative)", "Y"),
        ("DESTMSSANTEPAT", "Destinataire Patient", "N"),
        ("ACK_RECEPTION", "Accusé de réception", "Y"), ("ACK_LECTURE_MSS", "Accusé de lecture", "N")]
PRTS = ["PRT||UC||SB^Send by^participation|801234567897^MEDECIN^TEST^^^^^^ASIP-SANTE-PS&1.2.250.1.71.4.2.1&ISO^D^^^RPPS|||"
        "HOPITAL-TEST^^^^^ASIP-SANTE-ST&1.2.250.1.71.4.2.2&ISO^FINEG^^^999999999",
        "PRT||UC||RCT^Result Copies To^participation|801234567898^CONFRERE^TEST^^^^^^ASIP-SANTE-PS&1.2.250.1.71.4.2.1&ISO^D^^^RPPS|"
        "|||||||||^^X.400^confrere.test@test.mssante.fr"]


CDA_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "conforming" / "cda"


def conforming_cda(replaces: bool = False) -> bytes:
    """A conforming CDA of the CDA fixtures: CR-BIO, or a Structuration minimale N3 that replaces a parent."""
    return (CDA_FIXTURES / ("sm-n3-ldl-ees.xml" if replaces else "cr-bio-2024.xml")).read_bytes()


def cda_facts(document: bytes) -> dict[str, str]:
    """What the HL7 message must repeat from the CDA: patient ids, document id, parent id, code."""
    from lxml import etree

    v3 = "{urn:hl7-org:v3}"
    try:
        root = etree.fromstring(document)
    except etree.XMLSyntaxError:
        return {}
    facts: dict[str, str] = {}
    for element in root.findall(f"{v3}recordTarget/{v3}patientRole/{v3}id"):
        key = "ins" if element.get("root", "").startswith("1.2.250.1.213.1.4.") else "ipp"
        facts[key], facts[key + "_root"] = element.get("extension", ""), element.get("root", "")
    for key, path in (("doc", f"{v3}id"), ("parent", f"{v3}relatedDocument/{v3}parentDocument/{v3}id")):
        element = root.find(path)
        if element is not None:
            facts[key] = f"{element.get('extension')}^^{element.get('root')}^ISO" if element.get("extension") else element.get("root", "")
    code = root.find(f"{v3}code")
    if code is not None:
        facts["code"] = f"{code.get('code')}^{code.get('displayName', 'Document')}^LN"
    return facts


def document_message(kind: str, trigger: str = "R01", operation: tuple[str, str] = ("NW", "F"), document: bytes | None = None,
                     control_id: str = "DOC00001",
                     profile: str = "2.1^CISIS_CDA_HL7_V2", prts: list[str] | None = None, meta: list[tuple[str, str, str]] | None = None,
                     mail: str | None = None, patient_class: str = "I", subtype: str = "TEXT") -> str:
    """ORU^R01 (2.5) or MDM^T02/T04/T10 (2.6) carrying `document` (default: a conforming CDA fixture) in base64;
    PID-3, OBR-4/OBX-3 and TXA-12/13 repeat the CDA's patient ids, code and ids."""
    document = document if document is not None else conforming_cda(replaces=operation[1] == "C")
    facts = cda_facts(document)
    payload = base64.b64encode(document).decode("ascii")
    pid3 = PID3
    if "ipp" in facts:
        pid3 = f"{facts['ipp']}^^^HOPITAL-TEST&{facts['ipp_root']}&ISO^PI~{facts['ins']}^^^ASIP-SANTE-INS-NIR&{facts['ins_root']}&ISO^INS"
    code = facts.get("code", "11502-2^CR d'examens biologiques^LN")
    oru = kind == "ORU"
    coded = "CE" if oru else "CWE"
    head = msh("ORU^R01^ORU_R01" if oru else f"MDM^{trigger}^MDM_T02", control_id, "2.5" if oru else "2.6", profile, language="")
    segments = [head]
    if not oru:
        segments.append(seg("EVN", {2: "20250110093000"}))
    segments += [pid(pid3), pv1(patient_class), seg("ORC", {1: operation[0]}), seg("OBR", {1: "1", 4: code})]
    if not oru:
        txa = {1: "1", 2: code.split("^")[0], 3: "TEXT", 4: "20250110093000", 12: facts.get("doc", f"{DOC_EXT}^^{DOC_ROOT}^ISO"), 17: "AU"}
        if operation[1] == "C":
            txa[13] = facts.get("parent", f"{PARENT_EXT}^^{DOC_ROOT}^ISO")
        segments.append(seg("TXA", txa))
    segments.append(seg("OBX", {1: "1", 2: "ED", 3: code, 5: f"^{subtype}^XML^Base64^{payload}", 11: operation[1]}))
    segments += PRTS if prts is None else prts
    if mail:
        segments.append(mail)
    for index, (code, label, value) in enumerate(META if meta is None else meta, start=3 if mail else 2):
        segments.append(seg("OBX",
                            {1: str(index), 2: coded, 3: f"{code}^{label}^MetaDMPMSS", 5: f"{value}^^expandedYes-NoIndicator", 11: "F"}))
    return "\r".join(segments) + "\r"


# "Transmission au LPS de documents CDA provenant d'un courriel MSSanté" 1.1: the document, the sender
# (with its MSSanté address), the e-mail it came from, and four restriction metadata.
LPS_META = [META[0], META[1], META[2], META[4]]
LPS_PRTS = ["PRT||UC||SB^Send by^participation|801234567897^MEDECIN^TEST^^^^^^ASIP-SANTE-PS&1.2.250.1.71.4.2.1&ISO^D^^^RPPS"
            "||||||||||^^X.400^medecin.test@test.mssante.fr",
            "PRT||UC||RCT^Result Copies To^participation||||SERVICE-TEST^^^^^ASIP-SANTE-ST&1.2.250.1.71.4.2.2&ISO^FINEG^^^999999999"
            "|||||||^^X.400^service.test@hopital-test.mssante.fr",
            "PRT||UC||REPLY^Reply To^participation|||||||||||^^X.400^secretariat.test@test.mssante.fr"]
MAIL = ("OBX|2|ED|<MSG0001@test.mssante.fr>^Compte rendu de test||^text^^Base64^" + base64.b64encode(b"Corps du courriel de test.").decode()
        + "||||||F")


def lps_message(trigger: str = "T02", operation: tuple[str, str] = ("NW", "F"), document: bytes | None = None) -> str:
    return document_message("MDM", trigger, operation, document, "LPS00001", profile="1.1^CISIS_CDA_HL7_LPS", prts=LPS_PRTS, meta=LPS_META,
                            mail=MAIL, patient_class="N", subtype="text")


def zam(trigger: str = "Z01", status: str = "Y") -> str:
    codes = {"Z01": ("ACK_RECEPTION_DMP", "Accusé de réception DMP", None, "DMP_ERROR_CODE"),
             "Z02": ("ACK_RECEPTION_MSS", "Accusé de réception MSSanté", "DESTINATAIRE_MSS", "SMTPERRORCODE"),
             "Z03": ("ACK_LECTURE_MSS", "Accusé de lecture", "LECTEUR_MSS", "applicationErrorCondition")}
    code, label, second, system = codes[trigger]
    segments = [msh(f"ZAM^{trigger}^ZAM_Z01", f"ZAM{trigger}", "2.6", "2.1^CISIS_CDA_HL7_V2", language=""),
                seg("EVN", {2: "20250110093500"}),
                seg("OBX",
                    {1: "1", 2: "CWE", 3: f"{code}^{label}^AckMetierZAM", 4: "DOC00001", 5: f"{status}^^expandedYes-NoIndicator", 11: "F"})]
    if second:
        segments.append(seg("OBX", {1: "2", 2: "XTN", 3: f"{second}^Destinataire MSSanté^AckMetierZAM",
                                    5: "^^X.400^confrere.test@test.mssante.fr", 11: "F"}))
    if status == "N":
        segments.append(seg("ERR", {3: "207^Application error^HL70357", 4: "E", 5: f"E001^Erreur de test^{system}"}))
    return "\r".join(segments) + "\r"


# -- mutations -----------------------------------------------------------------------------------
def set_field(message: str, segment: str, number: int, value: str, occurrence: int = 1) -> str:
    """Replace field `number` of the `occurrence`-th `segment` (MSH numbering handled)."""
    lines = message.split("\r")
    seen = 0
    for index, line in enumerate(lines):
        if line[:3] != segment:
            continue
        seen += 1
        if seen != occurrence:
            continue
        parts = line.split("|")
        position = number - 1 if segment == "MSH" else number
        parts += [""] * (position + 1 - len(parts))
        parts[position] = value
        lines[index] = "|".join(parts)
        return "\r".join(lines)
    raise KeyError(f"{segment} #{occurrence}")


def get_field(message: str, segment: str, number: int, occurrence: int = 1) -> str:
    lines = [line for line in message.split("\r") if line[:3] == segment]
    parts = lines[occurrence - 1].split("|")
    position = number - 1 if segment == "MSH" else number
    return parts[position] if position < len(parts) else ""


def drop_segment(message: str, segment: str, occurrence: int = 1) -> str:
    lines = message.split("\r")
    seen = 0
    for index, line in enumerate(lines):
        if line[:3] == segment:
            seen += 1
            if seen == occurrence:
                del lines[index]
                return "\r".join(lines)
    raise KeyError(segment)


def insert_after(message: str, segment: str, new: str) -> str:
    lines = message.split("\r")
    index = next(i for i, line in enumerate(lines) if line[:3] == segment)
    lines.insert(index + 1, new)
    return "\r".join(lines)
