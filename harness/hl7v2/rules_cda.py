"""CI-SIS "Transmission de document(s) CDA-R2 en HL7v2" rules: ORU^R01 (2.5), MDM^T02/T04/T10
(2.6), ZAM business acknowledgements. The embedded CDA is decoded, parsed with our safe XML
reader for the cross-checks (PID-3 ↔ patientRole/id, TXA-12 ↔ ClinicalDocument/id) and validated
by the CDA validator (`validate_bytes(kind="cda")`), whose report becomes a child report."""

from __future__ import annotations

import binascii
import re
from typing import Any

from harness.errors import HarnessError
from harness.findings import ArtefactReport, Finding, Severity
from harness.hl7v2.ack import ACK_DOCUMENT_IDS, check_ack_document
from harness.hl7v2.message import Message, Segment, location
from harness.hl7v2.profiles import CompiledProfile, EventProfile
from harness.hl7v2.standard import segment_fields
from harness.verdicts import ArtefactVerdict

V3 = "{urn:hl7-org:v3}"
_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
DOCUMENT_IDS = ["CDAH2-EVT-01", "CDAH2-DOC-01", "CDAH2-DOC-02", "CDAH2-DOC-04", "CDAH2-PID-01", "CDAH2-PV1-01", "CDAH2-CWE-01",
                "CDAH2-META-01", "CDAH2-META-02", "CDAH2-META-03", "CDAH2-META-04", "CDAH2-PRT-01", "CDAH2-PRT-02", "CDAH2-PRT-03"]


def _f(requirement: str, fr: str, en: str, where: str | None, line: int | None, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(requirement, severity, fr, en, where, line)


def check(message: Message, event: EventProfile, profile: CompiledProfile, context: Any,
          path: str) -> tuple[list[Finding], list[str], list[ArtefactReport]]:
    code = event.key.split("^")[0]
    findings: list[Finding] = []
    if code == "ACK":
        return check_ack_document(message), list(ACK_DOCUMENT_IDS), []
    evaluated: list[str] = ["CDAH2-CWE-01"]
    findings += check_coded(message, event, profile)
    if code == "ZAM":
        evaluated += ["CDAH2-ZAM-01", "CDAH2-ZAM-02"]
        findings += check_zam(message, event, profile.data.get("zam", {}))
        return findings, evaluated, []
    if code not in ("ORU", "MDM"):
        return findings, evaluated, []
    evaluated += DOCUMENT_IDS
    children: list[ArtefactReport] = []
    meta = profile.data.get("metadata", {})
    observations = message.all("OBX")
    meta_system = meta.get("coding_system", "MetaDMPMSS")
    documents = [s for s in observations if message.value(s, 3, 1, 3).strip() != meta_system]
    metadata = [s for s in observations if message.value(s, 3, 1, 3).strip() == meta_system]
    findings += check_operation(message, event, profile, documents)
    findings += check_pv1(message)
    values = check_metadata(message, event, meta, metadata, findings)
    findings += check_prt(message, documents, values)
    limit = event.extra.get("max_documents", 1)
    if len(documents) > limit:
        findings.append(_f("CDAH2-DOC-01", f"{len(documents)} OBX documents : {event.key} en porte au plus {limit}",
                           f"{len(documents)} document OBX: {event.key} carries at most {limit}", "OBX", documents[limit].line))
    for obx in documents:
        payload, more = check_document_obx(message, obx, event)
        findings += more
        if payload is None:
            continue
        tree = _parse_cda(payload, obx, findings)
        if tree is None:
            continue
        findings += check_patient(message, tree)
        findings += check_document_code(message, obx, tree)
        findings += check_confidentiality(tree, values, obx, meta.get("restricted_confidentiality", ["R", "V"]))
        if code == "MDM":
            evaluated += ["CDAH2-TXA-02", "CDAH2-TXA-04"]
            findings += check_txa(message, tree)
        from harness.validation import validate_bytes  # late: validation imports the validators

        child = validate_bytes(payload, f"{path}#OBX-5.5@{obx.line}", context, kind="cda")
        children.append(child)
        if child.verdict is ArtefactVerdict.ABORTED:
            findings.append(_f("CDAH2-DOC-03", f"document CDA de la ligne {obx.line} non validé : {child.reason}",
                               f"CDA document of line {obx.line} not validated: {child.reason}", "OBX-5.5", obx.line, Severity.INFO))
        else:
            evaluated.append("CDAH2-DOC-03")
            if child.verdict is ArtefactVerdict.FAILED:
                findings.append(_f("CDAH2-DOC-03", f"le document CDA de la ligne {obx.line} est non conforme (voir le rapport imbriqué)",
                                   f"the CDA document of line {obx.line} is not conformant (see the nested report)", "OBX-5.5", obx.line))
    if code == "MDM":
        evaluated.append("CDAH2-TXA-03")
        if event.extra.get("parent_required") and not message.value(message.first("TXA"), 13).strip():
            txa = message.first("TXA")
            findings.append(_f("CDAH2-TXA-03", f"TXA-13 (document remplacé) obligatoire pour {event.key}",
                               f"TXA-13 (replaced document) required for {event.key}", "TXA-13", txa.line if txa else None))
    return findings, evaluated, children


# -- codes -----------------------------------------------------------------------------------
def check_coded(message: Message, event: EventProfile, profile: CompiledProfile) -> list[Finding]:
    """v2.7 rule pre-adopted: CE/CWE component 3 (coding system) whenever component 1 is set."""
    findings: list[Finding] = []
    version = event.extra.get("version", message.version)
    for segment in message.segments:
        definitions = segment_fields(version, segment.name)
        declared = profile.segment_types.get(segment.name) if not definitions else None
        for number in range(1, len(segment.fields)):
            if not segment.fields[number] or (segment.name == "MSH" and number < 3):
                continue
            datatype = (definitions[number].datatype if definitions and number in definitions
                        else declared[number - 1].rstrip("*") if declared and number <= len(declared) else None)
            if datatype not in ("CE", "CWE"):
                continue
            for index, raw in enumerate(message.repetitions(segment, number), start=1):
                if message.component(raw, 1) and not message.component(raw, 3):
                    at = location(segment.name, number, index if "~" in segment.fields[number] else None, 3)
                    findings.append(_f("CDAH2-CWE-01", f"{at} : système de codage absent alors que le code est renseigné",
                                       f"{at}: coding system missing while the code is set", at, segment.line))
    return findings


def check_operation(message: Message, event: EventProfile, profile: CompiledProfile, documents: list[Segment]) -> list[Finding]:
    """ORC-1, OBX-11 of the document and (MDM) the trigger event name the same operation."""
    findings: list[Finding] = []
    orc = message.first("ORC")
    orc1 = message.value(orc, 1).strip()
    allowed = [tuple(pair) for pair in profile.data.get("operations", [])]
    fixed = tuple(event.extra["operation"]) if "operation" in event.extra else None
    for obx in documents:
        pair = (orc1, message.value(obx, 11).strip())
        if fixed and pair != fixed:
            findings.append(_f(
                "CDAH2-EVT-01", f"{event.key} exige ORC-1 = {fixed[0]} et OBX-11 = {fixed[1]} (reçu {pair[0] or '∅'} / {pair[1] or '∅'})",
                f"{event.key} requires ORC-1 = {fixed[0]} and OBX-11 = {fixed[1]} (got {pair[0] or '∅'} / {pair[1] or '∅'})",
                "OBX-11", obx.line))
        elif not fixed and pair not in allowed:
            findings.append(_f(
                "CDAH2-EVT-01", f"ORC-1 = {pair[0] or '∅'} et OBX-11 = {pair[1] or '∅'} incohérents (NW/F, CA/D, RO/C)",
                f"ORC-1 = {pair[0] or '∅'} and OBX-11 = {pair[1] or '∅'} are inconsistent (NW/F, CA/D, RO/C)", "OBX-11", obx.line))
    if not documents:
        findings.append(_f("CDAH2-DOC-01", "aucun OBX ne porte de document", "no OBX carries a document", "OBX", None))
    return findings


def check_pv1(message: Message) -> list[Finding]:
    pv1 = message.first("PV1")
    if pv1 is not None and message.value(pv1, 2).strip() in ("E", "I", "O", "R") and not message.value(pv1, 19).strip():
        return [_f("CDAH2-PV1-01", "PV1-19 (numéro de venue) obligatoire quand PV1-2 ∈ {E, I, O, R}",
                   "PV1-19 (visit number) required when PV1-2 ∈ {E, I, O, R}", "PV1-19", pv1.line)]
    return []


# -- document OBX and the CDA ------------------------------------------------------------------
def decode_base64(text: str) -> tuple[bytes | None, str | None]:
    """Strict base64: the alphabet only, whole quanta (bad padding is an error)."""
    compact = "".join(text.split())
    if not _BASE64.match(compact):
        return None, "caractères hors de l'alphabet base64 / characters outside the base64 alphabet"
    if len(compact) % 4:
        return None, "remplissage (padding) base64 incorrect / bad base64 padding"
    try:
        return binascii.a2b_base64(compact.encode("ascii"), strict_mode=True), None
    except binascii.Error as exc:
        return None, f"base64 invalide / invalid base64: {exc}"


def check_document_obx(message: Message, obx: Segment, event: EventProfile) -> tuple[bytes | None, list[Finding]]:
    findings: list[Finding] = []
    expected_subtype = event.extra.get("document_type_text", "TEXT")
    checks = ((2, None, "ED"), (5, 2, expected_subtype), (5, 3, "XML"), (5, 4, "Base64"))
    for field, comp, wanted in checks:
        got = message.value(obx, field, 1, comp).strip()
        if got.upper() != wanted.upper():
            at = location("OBX", field, None, comp)
            findings.append(_f("CDAH2-DOC-01", f"{at} = « {got} », attendu {wanted}", f"{at} = '{got}', expected {wanted}", at, obx.line))
    obr = message.first("OBR")
    for comp in (1, 3):
        if message.value(obx, 3, 1, comp).strip() != message.value(obr, 4, 1, comp).strip():
            at = location("OBX", 3, None, comp)
            findings.append(_f("CDAH2-DOC-01", f"{at} diffère de OBR-4.{comp}", f"{at} differs from OBR-4.{comp}", at, obx.line))
    if findings and message.value(obx, 2).strip() != "ED":
        return None, findings
    payload, problem = decode_base64(message.value(obx, 5, 1, 5))
    if payload is None:
        findings.append(_f("CDAH2-DOC-02", f"OBX-5.5 : {problem}", f"OBX-5.5: {problem}", "OBX-5.5", obx.line))
    return payload, findings


def _parse_cda(payload: bytes, obx: Segment, findings: list[Finding]) -> Any:
    from harness.xmlsafe import parse_xml

    try:
        tree = parse_xml(payload)
    except HarnessError as exc:
        findings.append(_f("CDAH2-DOC-02", f"OBX-5.5 : le contenu décodé n'est pas un XML lisible ({exc.fr})",
                           f"OBX-5.5: the decoded content is not readable XML ({exc.en})", "OBX-5.5", obx.line))
        return None
    if tree.getroot().tag != f"{V3}ClinicalDocument":
        findings.append(_f("CDAH2-DOC-02", "OBX-5.5 : le contenu décodé n'est pas un ClinicalDocument CDA R2",
                           "OBX-5.5: the decoded content is not a CDA R2 ClinicalDocument", "OBX-5.5", obx.line))
        return None
    return tree


def cda_patient_ids(tree: Any) -> set[tuple[str, str]]:
    ids = tree.getroot().findall(f"{V3}recordTarget/{V3}patientRole/{V3}id")
    return {(e.get("root", "").strip(), e.get("extension", "").strip()) for e in ids if e.get("root")}


def check_patient(message: Message, tree: Any) -> list[Finding]:
    """PID-3 identifiers (CX-4.2 universal id, CX-1 number) equal the CDA patientRole/id (root, extension)."""
    pid = message.first("PID")
    if pid is None:
        return []
    in_pid = {(message.component(raw, 4, 2),
               message.component(raw, 1)) for raw in message.repetitions(pid, 3) if message.component(raw, 4, 2)}
    in_cda = cda_patient_ids(tree)
    findings = []
    for oid, number in sorted(in_cda - in_pid):
        findings.append(_f("CDAH2-PID-01", f"patientRole/id {oid} / {number} du CDA absent de PID-3",
                           f"CDA patientRole/id {oid} / {number} missing from PID-3", "PID-3", pid.line))
    for oid, number in sorted(in_pid - in_cda):
        findings.append(_f("CDAH2-PID-01", f"PID-3 {number}^^^&{oid} absent des patientRole/id du CDA",
                           f"PID-3 {number}^^^&{oid} missing from the CDA patientRole/id", "PID-3", pid.line))
    return findings


def check_document_code(message: Message, obx: Segment, tree: Any) -> list[Finding]:
    code = tree.getroot().find(f"{V3}code")
    cda_code = code.get("code", "").strip() if code is not None else ""
    obx_code = message.value(obx, 3, 1, 1).strip()
    if cda_code and obx_code != cda_code:
        return [_f("CDAH2-DOC-04", f"OBX-3.1 « {obx_code} » ≠ ClinicalDocument/code « {cda_code} »",
                   f"OBX-3.1 '{obx_code}' ≠ ClinicalDocument/code '{cda_code}'", "OBX-3.1", obx.line, Severity.WARNING)]
    return []


def check_confidentiality(tree: Any, values: dict[str, str], obx: Segment, restricted: list[str]) -> list[Finding]:
    """IG point of attention: a restricted or very restricted document should not go to the DMP."""
    code = tree.getroot().find(f"{V3}confidentialityCode")
    level = code.get("code", "") if code is not None else ""
    if values.get("DESTDMP") == "Y" and level in restricted:
        return [_f(
            "CDAH2-META-04", f"DESTDMP = Y pour un document de confidentialité {level} (restreinte) : il ne devrait pas être partagé",
            f"DESTDMP = Y for a document of confidentiality {level} (restricted): it should not be shared",
            "OBX-5", obx.line, Severity.WARNING)]
    return []


def _ei_matches(message: Message, segment: Segment, field: int, root: str, extension: str) -> bool:
    """TXA-12/13 in the IG format: ext^^root^ISO with an extension, otherwise the full OID in EI-1."""
    if extension:
        return message.value(segment, field, 1, 1).strip() == extension and message.value(segment, field, 1, 3).strip() == root
    return message.value(segment, field, 1, 1).strip() == root


def check_txa(message: Message, tree: Any) -> list[Finding]:
    txa = message.first("TXA")
    if txa is None:
        return []
    findings = []
    root_id = tree.getroot().find(f"{V3}id")
    if root_id is not None:
        root, extension = root_id.get("root", ""), root_id.get("extension", "")
        if not _ei_matches(message, txa, 12, root, extension):
            shown = f"{extension}^^{root}^ISO" if extension else root
            findings.append(_f("CDAH2-TXA-02", f"TXA-12 ≠ ClinicalDocument/id (attendu {shown})",
                               f"TXA-12 ≠ ClinicalDocument/id (expected {shown})", "TXA-12", txa.line))
    parent = tree.getroot().find(f"{V3}relatedDocument[@typeCode='RPLC']/{V3}parentDocument/{V3}id")
    if (parent is not None and message.value(txa, 13).strip()
            and not _ei_matches(message, txa, 13, parent.get("root", ""), parent.get("extension", ""))):
        findings.append(_f("CDAH2-TXA-04", "TXA-13 ≠ relatedDocument RPLC parentDocument/id du CDA",
                           "TXA-13 ≠ the CDA relatedDocument RPLC parentDocument/id", "TXA-13", txa.line, Severity.WARNING))
    return findings


# -- metadata OBX and PRT ----------------------------------------------------------------------
def check_metadata(message: Message, event: EventProfile, meta: dict[str, Any],
                   metadata: list[Segment], findings: list[Finding]) -> dict[str, str]:
    """Metadata OBX in the IG's fixed order, each with its type, value and status; returns code → Y/N."""
    items: list[dict[str, Any]] = meta.get("items", [])
    order = {item["code"]: rank for rank, item in enumerate(items)}
    coded_type = event.extra.get("metadata_type", "CE")
    values: dict[str, str] = {}
    last_rank = -1
    for obx in metadata:
        code = message.value(obx, 3, 1, 1).strip()
        if code not in order:
            findings.append(_f("CDAH2-META-01", f"métadonnée inconnue « {code} »", f"unknown metadata item '{code}'", "OBX-3.1", obx.line))
            continue
        item = items[order[code]]
        if code in values:
            findings.append(_f("CDAH2-META-01", f"métadonnée {code} répétée", f"metadata item {code} repeated", "OBX-3.1", obx.line))
        if order[code] < last_rank:
            findings.append(_f("CDAH2-META-01", f"métadonnée {code} hors de l'ordre fixé par le volet",
                               f"metadata item {code} out of the order the IG fixes", "OBX-3.1", obx.line))
        last_rank = max(last_rank, order[code])
        wanted_type = item.get("type", coded_type)
        if message.value(obx, 2).strip() != wanted_type:
            findings.append(_f("CDAH2-META-01", f"OBX-2 de {code} = « {message.value(obx, 2)} », attendu {wanted_type}",
                               f"OBX-2 of {code} = '{message.value(obx, 2)}', expected {wanted_type}", "OBX-2", obx.line))
        if message.value(obx, 11).strip() != "F":
            findings.append(_f("CDAH2-META-01", f"OBX-11 de {code} doit valoir F", f"OBX-11 of {code} must be F", "OBX-11", obx.line))
        if wanted_type == "ED":
            values[code] = ""
            continue
        value = message.value(obx, 5, 1, 1).strip()
        values[code] = value
        if value not in ("Y", "N") or message.value(obx, 5, 1, 3).strip() != meta.get("value_system", "expandedYes-NoIndicator"):
            findings.append(_f(
                "CDAH2-META-02", f"OBX-5 de {code} doit valoir Y ou N ^^expandedYes-NoIndicator (reçu « {message.value(obx, 5)} »)",
                f"OBX-5 of {code} must be Y or N ^^expandedYes-NoIndicator (got '{message.value(obx, 5)}')", "OBX-5", obx.line))
    line = metadata[0].line if metadata else None
    for item in items:
        if item["code"] in values:
            continue
        if item.get("usage") == "R":
            findings.append(_f("CDAH2-META-01", f"métadonnée obligatoire {item['code']} absente",
                               f"required metadata item {item['code']} missing", "OBX-3.1", line))
        elif item.get("usage") == "RE":
            findings.append(_f("CDAH2-META-03", f"métadonnée {item['code']} absente (attendue par le volet)",
                               f"metadata item {item['code']} missing (expected by the IG)", "OBX-3.1", line, Severity.WARNING))
    for when, then, fr, en in meta.get("coherence", []):
        if values.get(when) == "Y" and values.get(then) == "Y":
            findings.append(_f("CDAH2-META-04", fr, en, "OBX-5", line, Severity.WARNING))
    return values


def check_prt(message: Message, documents: list[Segment], values: dict[str, str]) -> list[Finding]:
    findings: list[Finding] = []
    ranks = {"SB": 0, "RCT": 1, "REPLY": 2}
    in_document_group, last_rank = False, -1
    roles: dict[str, list[Segment]] = {"SB": [], "RCT": [], "REPLY": []}
    for segment in message.segments:
        if segment.name != "PRT":
            in_document_group, last_rank = segment in documents, -1
            continue
        if not in_document_group:
            findings.append(_f("CDAH2-PRT-01", "PRT hors du groupe de l'OBX document",
                               "PRT outside the document OBX group", "PRT", segment.line))
        role = message.value(segment, 4, 1, 1).strip().upper()
        if role in ranks:
            roles[role].append(segment)
            if ranks[role] < last_rank:
                findings.append(_f("CDAH2-PRT-01", f"PRT {role} hors de l'ordre SB, RCT, REPLY",
                                   f"PRT {role} out of the order SB, RCT, REPLY", "PRT-4", segment.line))
            last_rank = max(last_rank, ranks[role])
    line = documents[0].line if documents else None
    if values.get("DESTDMP") == "Y":
        if not roles["SB"]:
            findings.append(_f("CDAH2-PRT-02", "DESTDMP = Y : PRT SB (expéditeur, pour le VIHF) obligatoire",
                               "DESTDMP = Y: PRT SB (sender, for the VIHF) required", "PRT", line))
        for sb in roles["SB"]:  # SC.DMP/CONF.12: the establishment and the professional or device
            if not message.value(sb, 8, 1, 10).strip():
                findings.append(_f("CDAH2-PRT-02", "PRT SB : PRT-8.10 (identifiant de l'établissement) obligatoire pour le DMP",
                                   "PRT SB: PRT-8.10 (establishment identifier) required for the DMP", "PRT-8.10", sb.line))
            if not message.value(sb, 5, 1, 1).strip() and not message.value(sb, 10, 1, 1).strip():
                findings.append(_f(
                    "CDAH2-PRT-02", "PRT SB : identifiant du professionnel (PRT-5.1) ou du dispositif (PRT-10.1) obligatoire",
                    "PRT SB: professional (PRT-5.1) or device (PRT-10.1) identifier required", "PRT-5.1", sb.line))
    if values.get("DESTMSSANTEPS") == "Y" or values.get("DESTMSSANTEPAT") == "Y":
        addressed = [s for s in roles["RCT"] if message.value(s, 15, 1, 3).strip() == "X.400" and message.value(s, 15, 1, 4).strip()]
        if not addressed:
            findings.append(_f(
                "CDAH2-PRT-03", "envoi MSSanté demandé : au moins un PRT RCT avec PRT-15.3 = X.400 et une adresse en PRT-15.4",
                "MSSanté delivery requested: at least one PRT RCT with PRT-15.3 = X.400 and an address in PRT-15.4", "PRT-15", line))
    return findings


# -- ZAM ---------------------------------------------------------------------------------------
def check_zam(message: Message, event: EventProfile, zam: dict[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    trigger = event.key.split("^")[1]
    spec = zam.get(trigger, {})
    obx = message.all("OBX")
    if not obx:
        return findings
    first = obx[0]
    expect = {(1, None): "1", (2, None): "CWE", (3, 1): spec.get("code", ""),
              (3, 3): zam.get("coding_system", "AckMetierZAM"), (5, 3): "expandedYes-NoIndicator", (11, None): "F"}
    for (field, comp), wanted in expect.items():
        got = message.value(first, field, 1, comp).strip()
        if got != wanted:
            at = location("OBX", field, None, comp)
            findings.append(_f("CDAH2-ZAM-01", f"{at} = « {got} », attendu {wanted}", f"{at} = '{got}', expected {wanted}", at, first.line))
    if not message.value(first, 4).strip():
        findings.append(_f("CDAH2-ZAM-01", "OBX-4 : identifiant (MSH-10) du message ayant transmis le document requis",
                           "OBX-4: id (MSH-10) of the message that carried the document required", "OBX-4", first.line))
    status = message.value(first, 5, 1, 1).strip()
    if status not in ("Y", "N"):
        findings.append(_f("CDAH2-ZAM-01", f"OBX-5.1 = « {status} », attendu Y ou N",
                           f"OBX-5.1 = '{status}', expected Y or N", "OBX-5.1", first.line))
    second_code = spec.get("second")
    if second_code:
        second = obx[1] if len(obx) > 1 else None
        if second is None:
            findings.append(_f("CDAH2-ZAM-01", f"second OBX {second_code} obligatoire pour ZAM^{trigger}",
                               f"second OBX {second_code} required for ZAM^{trigger}", "OBX", first.line))
        else:
            for (field, comp), wanted in {(1, None): "2", (2, None): "XTN", (3, 1): second_code, (5, 3): "X.400", (11, None): "F"}.items():
                got = message.value(second, field, 1, comp).strip()
                if got != wanted:
                    at = location("OBX", field, None, comp)
                    findings.append(_f("CDAH2-ZAM-01", f"{at} = « {got} », attendu {wanted}",
                                       f"{at} = '{got}', expected {wanted}", at, second.line))
            if not message.value(second, 5, 1, 4).strip():
                findings.append(_f("CDAH2-ZAM-01", "OBX-5.4 : adresse MSSanté requise",
                                   "OBX-5.4: MSSanté address required", "OBX-5.4", second.line))
    err = message.first("ERR")
    if status == "N":
        if err is None:
            findings.append(_f("CDAH2-ZAM-02", "OBX-5 = N : segment ERR obligatoire", "OBX-5 = N: ERR segment required", "ERR", first.line))
        else:
            if message.value(err, 3, 1, 1).strip() != "207":
                findings.append(_f("CDAH2-ZAM-02", "ERR-3 doit valoir 207^Application error^messageErrorCondition",
                                   "ERR-3 must be 207^Application error^messageErrorCondition", "ERR-3", err.line))
            if not message.value(err, 4).strip():
                findings.append(_f("CDAH2-ZAM-02", "ERR-4 (gravité) obligatoire", "ERR-4 (severity) required", "ERR-4", err.line))
            system = message.value(err, 5, 1, 3).strip()
            if spec.get("error_system") and (not message.value(err, 5, 1, 1).strip() or system != spec["error_system"]):
                findings.append(_f("CDAH2-ZAM-02", f"ERR-5 : code^libellé^{spec['error_system']} attendu",
                                   f"ERR-5: code^label^{spec['error_system']} expected", "ERR-5", err.line))
    return findings
