"""CI-SIS "Transmission de document(s) CDA-R2 en HL7v2" rules: ORU^R01 (2.5), MDM^T02/T04/T10
(2.6), ZAM business acknowledgements. The embedded CDA is decoded, parsed with our safe XML
reader for the cross-checks (PID-3 ↔ patientRole/id, TXA-12 ↔ ClinicalDocument/id) and validated
by the CDA validator (`validate_bytes(kind="cda")`), whose report becomes a child report."""

from __future__ import annotations

import binascii
import re
from dataclasses import replace
from typing import Any

from harness.core.errors import HarnessError
from harness.core.findings import ArtefactReport, Finding, Severity
from harness.core.verdicts import ArtefactVerdict
from harness.hl7v2.ack import check_ack_document
from harness.hl7v2.message import Message, Segment, expected_received, location
from harness.hl7v2.profiles import CompiledProfile, EventProfile
from harness.hl7v2.registered import evaluated_by, evaluates
from harness.hl7v2.standard import segment_fields

V3 = "{urn:hl7-org:v3}"
_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


def _f(requirement: str, fr: str, en: str, where: str | None, line: int | None, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(requirement, severity, fr, en, where, line)


def check(message: Message, event: EventProfile, profile: CompiledProfile, context: Any,
          path: str) -> tuple[list[Finding], list[str], list[ArtefactReport]]:
    findings, evaluated, children = _check(message, event, profile, context, path)
    # The rules are written with the transmission volet's ids; a volet using this module names them with
    # its own prefix, and a rule it does not state (no such id in its pack) is not run for it.
    prefix = profile.data.get("requirement_prefix", "CDAH2")
    own = set(profile.requirement_ids)

    def named(requirement: str) -> str:
        return prefix + requirement[5:] if requirement.startswith("CDAH2-") else requirement

    evaluated = [named(r) for r in evaluated if named(r) in own or not r.startswith("CDAH2-")]
    kept = [replace(f, requirement=named(f.requirement)) for f in findings if named(f.requirement) in own
            or not f.requirement.startswith("CDAH2-")]
    # the severity of a violation is its requirement's level in the pack (MUST → error, SHOULD → warning)
    kept = [f if f.severity is Severity.INFO else replace(f, severity=profile.severity(f.requirement)) for f in kept]
    return kept, evaluated, children


def classify(message: Message, obx: Segment, meta: dict[str, Any], document_systems: frozenset[str], mail: bool) -> str:
    """What an OBX carries, from what it is: "metadata" (OBX-3.3 the metadata table), "document"
    (OBX-3.3 a document coding: LOINC, TRE_A05), "mail" (an ED that is neither, when the volet carries
    the e-mail), or "other". Reads OBX-2 and OBX-3 only: nothing is decoded."""
    system = message.value(obx, 3, 1, 3).strip()
    if system == meta.get("coding_system", "MetaDMPMSS"):
        return "metadata"
    if system in document_systems:
        return "document"
    return "mail" if mail and message.value(obx, 2).strip() == "ED" else "other"


# The checks register their ids under the transmission volet's names (CDAH2-); `check` renames them with the
# pack's requirement_prefix. Besides its helpers' ids, _check judges the document OBX count, the nested CDA
# report and TXA-13 itself.
@evaluates("CDAH2-DOC-01", "CDAH2-DOC-03", "CDAH2-TXA-03")
def _check(message: Message, event: EventProfile, profile: CompiledProfile, context: Any,
           path: str) -> tuple[list[Finding], list[str], list[ArtefactReport]]:
    code = event.key.split("^")[0]
    findings: list[Finding] = []
    if code == "ACK":
        return check_ack_document(message), evaluated_by(check_ack_document), []
    evaluated = evaluated_by(check_coded)
    if code == "ZAM":
        findings += check_coded(message, event, profile)
        evaluated += evaluated_by(check_zam)
        findings += check_zam(message, event, profile.data.get("zam", {}))
        return findings, evaluated, []
    if code not in ("ORU", "MDM"):
        return findings + check_coded(message, event, profile), evaluated, []
    children: list[ArtefactReport] = []
    meta = profile.data.get("metadata", {})
    document_systems = frozenset(profile.data.get("valuesets", {}).get("document-coding-system", {}).get("codes", ("LN",)))
    mail = profile.data.get("mail")
    kinds = {id(s): classify(message, s, meta, document_systems, mail is not None) for s in message.all("OBX")}
    # the e-mail OBX-3 is Message-ID^subject by the volet's own definition: no coding system to require
    findings += check_coded(message, event, profile, exempt={id(s) for s in message.all("OBX") if kinds[id(s)] == "mail"})
    documents = [s for s in message.all("OBX") if kinds[id(s)] == "document"]
    metadata = [s for s in message.all("OBX") if kinds[id(s)] == "metadata"]
    evaluated += ["CDAH2-DOC-01", *evaluated_by(check_metadata, check_prt)]
    for obx in message.all("OBX"):
        if kinds[id(obx)] == "other":
            fr, en = expected_received("OBX-3.3", message.value(obx, 3, 1, 3).strip(),
                                       sorted(document_systems | {meta.get("coding_system", "MetaDMPMSS")}))
            findings.append(_f("CDAH2-DOC-01", f"{fr} : OBX ni document ni métadonnée",
                               f"{en}: an OBX that is neither a document nor a metadata item", "OBX-3.3", obx.line))
    if mail is not None:
        evaluated += evaluated_by(check_mail)
        findings += check_mail(message, [s for s in message.all("OBX") if kinds[id(s)] == "mail"], mail.get("position", 2))
    if message.first("ORC") is not None and documents:  # rules on segments absent from the message do not apply
        evaluated += evaluated_by(check_operation)
        findings += check_operation(message, event, profile, documents)
    if not documents:
        findings.append(_f("CDAH2-DOC-01", "aucun OBX ne porte de document", "no OBX carries a document", "OBX", None))
    if message.first("PV1") is not None:
        evaluated += evaluated_by(check_pv1)
        findings += check_pv1(message)
    values = check_metadata(message, event, meta, metadata, findings)
    findings += check_prt(message, documents, values, profile.data.get("prt", {}))
    limit = event.extra.get("max_documents", 1)
    if len(documents) > limit:  # the documents past the limit are never decoded (a message may carry thousands)
        findings.append(_f("CDAH2-DOC-01",
                           f"{len(documents)} OBX documents : {event.key} en porte au plus {limit} ; "
                           f"seuls les {limit} premiers sont décodés et validés",
                           f"{len(documents)} document OBX: {event.key} carries at most {limit}; "
                           f"only the first {limit} are decoded and validated",
                           "OBX", documents[limit].line))
    for obx in documents[:limit]:
        payload, more = check_document_obx(message, obx, event)
        findings += more
        evaluated += evaluated_by(check_document_obx, _parse_cda)
        if payload is None:
            continue
        parsed = _parse_cda(payload, obx, findings, context)
        if parsed is None:
            continue
        root = parsed.document
        if message.first("PID") is not None:
            evaluated += evaluated_by(check_patient)
            findings += check_patient(message, root)
        evaluated += evaluated_by(check_document_code, check_confidentiality)
        findings += check_document_code(message, obx, root)
        findings += check_confidentiality(root, values, obx, meta.get("restricted_confidentiality", ["R", "V"]))
        if code == "MDM" and message.first("TXA") is not None:
            evaluated += evaluated_by(check_txa)
            findings += check_txa(message, root)
        child = validate_embedded(payload, f"{path}#OBX-5.5@{obx.line}", context, parsed)
        children.append(child)
        if child.verdict is ArtefactVerdict.ABORTED:
            findings.append(_f("CDAH2-DOC-03", f"document CDA de la ligne {obx.line} non validé : {child.reason}",
                               f"CDA document of line {obx.line} not validated: {child.reason}", "OBX-5.5", obx.line, Severity.INFO))
        else:
            evaluated.append("CDAH2-DOC-03")
            if child.verdict is ArtefactVerdict.FAILED:
                findings.append(_f("CDAH2-DOC-03", f"le document CDA de la ligne {obx.line} est non conforme (voir le rapport imbriqué)",
                                   f"the CDA document of line {obx.line} is not conformant (see the nested report)", "OBX-5.5", obx.line))
    txa = message.first("TXA")
    if code == "MDM" and txa is not None:
        evaluated.append("CDAH2-TXA-03")
        if event.extra.get("parent_required") and not message.value(txa, 13).strip():
            findings.append(_f("CDAH2-TXA-03", f"TXA-13 (document remplacé) obligatoire pour {event.key}",
                               f"TXA-13 (replaced document) required for {event.key}", "TXA-13", txa.line))
    return findings, evaluated, children


def validate_embedded(payload: bytes, path: str, context: Any, parsed: Any) -> ArtefactReport:
    """The CDA validator's report on a document already parsed here (parsed once for both)."""
    from harness.cda import validate_cda  # late: the CDA rules load only when a message embeds a document

    return validate_cda(payload, path, context, parsed=parsed)


# -- codes -----------------------------------------------------------------------------------
@evaluates("CDAH2-CWE-01")
def check_coded(message: Message, event: EventProfile, profile: CompiledProfile,
                exempt: frozenset[int] | set[int] = frozenset()) -> list[Finding]:
    """v2.7 rule pre-adopted: CE/CWE component 3 (coding system) whenever component 1 is set (OBX-3 of the
    `exempt` segments excepted)."""
    findings: list[Finding] = []
    version = event.extra.get("version", message.version)
    for segment in message.segments:
        definitions = segment_fields(version, segment.name)
        declared = profile.segment_types.get(segment.name) if not definitions else None
        for number in range(1, len(segment.fields)):
            if not segment.fields[number] or (segment.name == "MSH" and number < 3):
                continue
            datatype = (definitions[number].datatype if definitions and number in definitions
                        else (declared[number - 1].rstrip("*") if declared and number <= len(declared) else None))
            if datatype not in ("CE", "CWE") or (number == 3 and id(segment) in exempt):
                continue
            for index, raw in enumerate(message.repetitions(segment, number), start=1):
                if message.component(raw, 1) and not message.component(raw, 3):
                    at = location(segment.name, number, index if "~" in segment.fields[number] else None, 3)
                    findings.append(_f("CDAH2-CWE-01", f"{at} : système de codage absent alors que le code est renseigné",
                                       f"{at}: coding system missing while the code is set", at, segment.line))
    return findings


@evaluates("CDAH2-EVT-01")
def check_operation(message: Message, event: EventProfile, profile: CompiledProfile, documents: list[Segment]) -> list[Finding]:
    """ORC-1, OBX-11 of the document and (MDM) the trigger event name the same operation."""
    findings: list[Finding] = []
    orc = message.first("ORC")
    orc1 = message.value(orc, 1).strip()
    allowed = [tuple(pair) for pair in profile.data.get("operations", [])]
    fixed = tuple(event.extra["operation"]) if "operation" in event.extra else None
    for obx in documents:
        pair = (orc1, message.value(obx, 11).strip())
        if (fixed and pair != fixed) or (not fixed and pair not in allowed):
            expected = [f"{a}/{b}" for a, b in ([fixed] if fixed else allowed)]
            fr, en = expected_received("ORC-1/OBX-11", "/".join(pair), expected)
            findings.append(_f("CDAH2-EVT-01", f"{fr} pour {event.key}", f"{en} for {event.key}", "OBX-11", obx.line))
    return findings


@evaluates("CDAH2-PV1-01")
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


@evaluates("CDAH2-DOC-01", "CDAH2-DOC-02")
def check_document_obx(message: Message, obx: Segment, event: EventProfile) -> tuple[bytes | None, list[Finding]]:
    findings: list[Finding] = []
    expected_subtype = event.extra.get("document_type_text", "TEXT")
    checks = ((2, None, "ED"), (5, 2, expected_subtype), (5, 3, "XML"), (5, 4, "Base64"))
    for field, comp, wanted in checks:
        got = message.value(obx, field, 1, comp).strip()
        if got.upper() != wanted.upper():
            at = location("OBX", field, None, comp)
            fr, en = expected_received(at, got, wanted)
            findings.append(_f("CDAH2-DOC-01", fr, en, at, obx.line))
    obr = message.first("OBR")
    for comp in (1, 3) if obr is not None else ():  # no OBR: OBR-4 is reported missing once, not compared here
        expected = message.value(obr, 4, 1, comp).strip()
        if message.value(obx, 3, 1, comp).strip() != expected:
            at = location("OBX", 3, None, comp)
            fr, en = expected_received(at, message.value(obx, 3, 1, comp).strip(), f"OBR-4.{comp} ({expected or '∅'})")
            findings.append(_f("CDAH2-DOC-01", fr, en, at, obx.line))
    if findings and message.value(obx, 2).strip() != "ED":
        return None, findings
    payload, problem = decode_base64(message.value(obx, 5, 1, 5))
    if payload is None:
        findings.append(_f("CDAH2-DOC-02", f"OBX-5.5 : {problem}", f"OBX-5.5: {problem}", "OBX-5.5", obx.line))
    return payload, findings


@evaluates("CDAH2-DOC-02")
def _parse_cda(payload: bytes, obx: Segment, findings: list[Finding], context: Any) -> Any:
    """The decoded document parsed once (harness.cda.parse: the safe XML reader), or None with a finding."""
    from harness.cda.parse import UnsafeOrInvalidXml, parse

    try:
        parsed = parse(payload, context.max_bytes)
    except (UnsafeOrInvalidXml, HarnessError) as exc:
        findings.append(_f("CDAH2-DOC-02", f"OBX-5.5 : le contenu décodé n'est pas un XML lisible ({exc.fr})",
                           f"OBX-5.5: the decoded content is not readable XML ({exc.en})", "OBX-5.5", obx.line))
        return None
    if parsed.document is None or parsed.self_presenting:
        fr, en = expected_received("OBX-5.5", str(parsed.tree.getroot().tag), f"{V3}ClinicalDocument")
        findings.append(_f("CDAH2-DOC-02", f"{fr} (le contenu décodé n'est pas un ClinicalDocument CDA R2)",
                           f"{en} (the decoded content is not a CDA R2 ClinicalDocument)", "OBX-5.5", obx.line))
        return None
    return parsed


def cda_patient_ids(root: Any) -> set[tuple[str, str]]:
    ids = root.findall(f"{V3}recordTarget/{V3}patientRole/{V3}id")
    return {(e.get("root", "").strip(), e.get("extension", "").strip()) for e in ids if e.get("root")}


@evaluates("CDAH2-PID-01")
def check_patient(message: Message, root: Any) -> list[Finding]:
    """PID-3 identifiers (CX-4.2 universal id, CX-1 number) equal the CDA patientRole/id (root, extension)."""
    pid = message.first("PID")
    if pid is None:
        return []
    in_pid = {(message.component(raw, 4, 2), message.component(raw, 1)) for raw in message.repetitions(pid, 3)
              if message.component(raw, 4, 2)}
    in_cda = cda_patient_ids(root)
    findings = []
    for oid, number in sorted(in_cda - in_pid):
        findings.append(_f("CDAH2-PID-01", f"patientRole/id {oid} / {number} du CDA absent de PID-3",
                           f"CDA patientRole/id {oid} / {number} missing from PID-3", "PID-3", pid.line))
    for oid, number in sorted(in_pid - in_cda):
        findings.append(_f("CDAH2-PID-01", f"PID-3 {number}^^^&{oid} absent des patientRole/id du CDA",
                           f"PID-3 {number}^^^&{oid} missing from the CDA patientRole/id", "PID-3", pid.line))
    return findings


@evaluates("CDAH2-DOC-04")
def check_document_code(message: Message, obx: Segment, root: Any) -> list[Finding]:
    code = root.find(f"{V3}code")
    cda_code = code.get("code", "").strip() if code is not None else ""
    obx_code = message.value(obx, 3, 1, 1).strip()
    if cda_code and obx_code != cda_code:
        fr, en = expected_received("OBX-3.1", obx_code, f"ClinicalDocument/code {cda_code}")
        return [_f("CDAH2-DOC-04", fr, en, "OBX-3.1", obx.line)]
    return []


@evaluates("CDAH2-META-04")
def check_confidentiality(root: Any, values: dict[str, str], obx: Segment, restricted: list[str]) -> list[Finding]:
    """IG point of attention: a restricted or very restricted document should not go to the DMP."""
    code = root.find(f"{V3}confidentialityCode")
    level = code.get("code", "") if code is not None else ""
    if values.get("DESTDMP") == "Y" and level in restricted:
        return [_f("CDAH2-META-04",
                   f"DESTDMP = Y pour un document de confidentialité {level} (restreinte) : il ne devrait pas être partagé",
                   f"DESTDMP = Y for a document of confidentiality {level} (restricted): it should not be shared", "OBX-5", obx.line)]
    return []


def _ei_matches(message: Message, segment: Segment, field: int, root: str, extension: str) -> bool:
    """TXA-12/13 in the IG format: ext^^root^ISO with an extension, otherwise the full OID in EI-1."""
    if extension:
        return message.value(segment, field, 1, 1).strip() == extension and message.value(segment, field, 1, 3).strip() == root
    return message.value(segment, field, 1, 1).strip() == root


@evaluates("CDAH2-TXA-02", "CDAH2-TXA-04")
def check_txa(message: Message, root: Any) -> list[Finding]:
    txa = message.first("TXA")
    if txa is None:
        return []
    findings = []
    root_id = root.find(f"{V3}id")
    if root_id is not None:
        oid, extension = root_id.get("root", ""), root_id.get("extension", "")
        if not _ei_matches(message, txa, 12, oid, extension):
            shown = f"{extension}^^{oid}^ISO" if extension else oid
            fr, en = expected_received("TXA-12", message.value(txa, 12).strip(), f"ClinicalDocument/id {shown}")
            findings.append(_f("CDAH2-TXA-02", fr, en, "TXA-12", txa.line))
    parent = root.find(f"{V3}relatedDocument[@typeCode='RPLC']/{V3}parentDocument/{V3}id")
    if (parent is not None and message.value(txa, 13).strip()
            and not _ei_matches(message, txa, 13, parent.get("root", ""), parent.get("extension", ""))):
        findings.append(_f("CDAH2-TXA-04", "TXA-13 ≠ relatedDocument RPLC parentDocument/id du CDA",
                           "TXA-13 ≠ the CDA relatedDocument RPLC parentDocument/id", "TXA-13", txa.line))
    return findings


# -- metadata OBX and PRT ----------------------------------------------------------------------
@evaluates("CDAH2-META-01", "CDAH2-META-02", "CDAH2-META-03", "CDAH2-META-04")
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
            fr, en = expected_received(f"OBX-2 ({code})", message.value(obx, 2).strip(), wanted_type)
            findings.append(_f("CDAH2-META-01", fr, en, "OBX-2", obx.line))
        if message.value(obx, 11).strip() != "F":
            fr, en = expected_received(f"OBX-11 ({code})", message.value(obx, 11).strip(), "F")
            findings.append(_f("CDAH2-META-01", fr, en, "OBX-11", obx.line))
        if wanted_type == "ED":
            values[code] = ""
            continue
        value = message.value(obx, 5, 1, 1).strip()
        values[code] = value
        if value not in ("Y", "N") or message.value(obx, 5, 1, 3).strip() != meta.get("value_system", "expandedYes-NoIndicator"):
            system = meta.get("value_system", "expandedYes-NoIndicator")
            fr, en = expected_received(f"OBX-5 ({code})", message.value(obx, 5).strip(), f"Y^^{system} ou/or N^^{system}")
            findings.append(_f("CDAH2-META-02", fr, en, "OBX-5", obx.line))
    line = metadata[0].line if metadata else None
    for item in items:
        if item["code"] in values:
            continue
        if item.get("usage") == "R":
            findings.append(_f("CDAH2-META-01", f"métadonnée obligatoire {item['code']} absente",
                               f"required metadata item {item['code']} missing", "OBX-3.1", line))
        elif item.get("usage") == "RE":
            findings.append(_f("CDAH2-META-03", f"métadonnée {item['code']} absente (attendue par le volet)",
                               f"metadata item {item['code']} missing (expected by the IG)", "OBX-3.1", line))
    for when, then, fr, en in meta.get("coherence", []):
        if values.get(when) == "Y" and values.get(then) == "Y":
            findings.append(_f("CDAH2-META-04", fr, en, "OBX-5", line))
    return values


@evaluates("CDAH2-MAIL-01")
def check_mail(message: Message, mails: list[Segment], position: int) -> list[Finding]:
    """The MSSanté e-mail the document came from: one ED OBX, the `position`-th OBX group, OBX-3.1
    Message-ID and OBX-3.2 subject, the content in base64, OBX-11 F."""
    if not mails:
        return [_f("CDAH2-MAIL-01", "OBX du courriel MSSanté absent", "MSSanté e-mail OBX missing", "OBX", None)]
    findings: list[Finding] = []
    for extra in mails[1:]:
        findings.append(_f("CDAH2-MAIL-01", "un seul OBX de courriel attendu", "one e-mail OBX expected", "OBX", extra.line))
    obx = mails[0]
    observations = message.all("OBX")
    if len(observations) < position or observations[position - 1] is not obx:
        findings.append(_f("CDAH2-MAIL-01", f"l'OBX du courriel doit être le groupe OBX n° {position}",
                           f"the e-mail OBX must be OBX group #{position}", "OBX", obx.line))
    for comp, what_fr, what_en in ((1, "Message-ID du courriel", "the e-mail Message-ID"), (2, "objet du courriel", "the e-mail subject")):
        if not message.value(obx, 3, 1, comp).strip():
            findings.append(_f("CDAH2-MAIL-01", f"OBX-3.{comp} ({what_fr}) obligatoire", f"OBX-3.{comp} ({what_en}) required",
                               f"OBX-3.{comp}", obx.line))
    for at, got, wanted in (("OBX-5.4", message.value(obx, 5, 1, 4).strip(), "Base64"), ("OBX-11", message.value(obx, 11).strip(), "F")):
        if got.upper() != wanted.upper():
            findings.append(_f("CDAH2-MAIL-01", *expected_received(at, got, wanted), at, obx.line))
    if message.value(obx, 5, 1, 4).strip().upper() == "BASE64":
        _, problem = decode_base64(message.value(obx, 5, 1, 5))
        if problem:
            findings.append(_f("CDAH2-MAIL-01", f"OBX-5.5 (contenu du courriel) : {problem}", f"OBX-5.5 (e-mail content): {problem}",
                               "OBX-5.5", obx.line))
    return findings


@evaluates("CDAH2-PRT-01", "CDAH2-PRT-02", "CDAH2-PRT-03")
def check_prt(message: Message, documents: list[Segment], values: dict[str, str], prt: dict[str, Any]) -> list[Finding]:
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
    if prt.get("sender_required"):  # the sender of the e-mail, always, with its address
        if not roles["SB"]:
            findings.append(_f("CDAH2-PRT-02", "PRT SB (expéditeur) obligatoire", "PRT SB (sender) required", "PRT", line))
        for sb in roles["SB"]:
            if message.value(sb, 15, 1, 3).strip() != "X.400" or not message.value(sb, 15, 1, 4).strip():
                fr, en = expected_received("PRT-15", message.value(sb, 15).strip(), "^^X.400^<adresse/address>")
                findings.append(_f("CDAH2-PRT-02", f"PRT SB : {fr}", f"PRT SB: {en}", "PRT-15", sb.line))
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
@evaluates("CDAH2-ZAM-01", "CDAH2-ZAM-02")
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
            findings.append(_f("CDAH2-ZAM-01", *expected_received(at, got, wanted), at, first.line))
    if not message.value(first, 4).strip():
        findings.append(_f("CDAH2-ZAM-01", "OBX-4 : identifiant (MSH-10) du message ayant transmis le document requis",
                           "OBX-4: id (MSH-10) of the message that carried the document required", "OBX-4", first.line))
    status = message.value(first, 5, 1, 1).strip()
    if status not in ("Y", "N"):
        findings.append(_f("CDAH2-ZAM-01", *expected_received("OBX-5.1", status, ["Y", "N"]), "OBX-5.1", first.line))
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
                    findings.append(_f("CDAH2-ZAM-01", *expected_received(at, got, wanted), at, second.line))
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
                findings.append(_f("CDAH2-ZAM-02",
                                   *expected_received("ERR-5", message.value(err, 5).strip(), f"code^label^{spec['error_system']}"),
                                   "ERR-5", err.line))
    return findings
