"""PAM FR rules beyond the generic profile checks: IPP and INS in PID-3, the identity reliability
status, ZBE consistency with the trigger event, ZFD. Parameters come from the pack's
`[data.hl7v2.ins]` and events table."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from harness.core.findings import ArtefactReport, Finding, Severity
from harness.hl7v2.ack import check_ack_document
from harness.hl7v2.message import Message, expected_received, location
from harness.hl7v2.profiles import CompiledProfile, EventProfile
from harness.hl7v2.registered import evaluated_by, evaluates

_MATRICULE = re.compile(r"^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{6}[0-9]{2}$")


def ins_key_ok(matricule: str) -> bool:
    """15 characters: 13 (2A → 19, 2B → 18 for Corsica) then the key 97 − (number mod 97)."""
    if not _MATRICULE.match(matricule):
        return False
    body = (matricule[:13].replace("2A", "19", 1) if matricule[5:7] == "2A"
            else matricule[:13].replace("2B", "18", 1) if matricule[5:7] == "2B" else matricule[:13])
    return 97 - int(body) % 97 == int(matricule[13:])


def _error(requirement: str, fr: str, en: str, where: str, line: int | None) -> Finding:
    return Finding(requirement, Severity.ERROR, fr, en, where, line)


def check(message: Message, event: EventProfile, profile: CompiledProfile, context: Any,
          path: str) -> tuple[list[Finding], list[str], list[ArtefactReport]]:
    if message.message_type[0] == "ACK":
        return check_ack_document(message), evaluated_by(check_ack_document), []
    findings: list[Finding] = []
    evaluated = evaluated_by(check_zbe)  # whatever the segments
    pid = message.first("PID")
    if pid is not None:  # the identifiers are judged on PID
        evaluated += evaluated_by(check_identifiers)
        findings += check_identifiers(message, pid, profile.data.get("ins", {}))
    findings += check_zbe(message, event)
    # the severity of a violation is its requirement's level in the pack (MUST → error, SHOULD → warning)
    return [replace(f, severity=profile.severity(f.requirement)) for f in findings], evaluated, []


@evaluates("PAMFR-PID-01", "PAMFR-INS-01", "PAMFR-INS-02", "PAMFR-INS-03", "PAMFR-INS-04")
def check_identifiers(message: Message, pid: Any, ins: dict[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    authorities: dict[str, str] = ins.get("assigning_authorities", {})
    refused = set(ins.get("refused_oids", ()))
    test_oids = set(ins.get("test_oids", ()))
    ins_type = ins.get("identifier_type", "INS")
    has_ipp, has_ins = False, False
    reps = message.repetitions(pid, 3)
    production = message.value(message.msh, 11, 1, 1).strip() == "P"
    for index, raw in enumerate(reps, start=1):
        at = location("PID", 3, index)
        number = message.component(raw, 1)
        namespace, oid, oid_type = message.component(raw, 4, 1), message.component(raw, 4, 2), message.component(raw, 4, 3)
        id_type = message.component(raw, 5)
        if id_type == ins.get("ipp_type", "PI") and number and (namespace or oid):
            has_ipp = True
        looks_ins = id_type in (ins_type, "INS-C") or oid in authorities or oid in refused or namespace.startswith("ASIP-SANTE-INS")
        if not looks_ins:
            continue
        if oid in refused or id_type == "INS-C":
            findings.append(_error("PAMFR-INS-01", f"{at} : OID d'INS refusé (obsolète ou erroné) « {oid} »",
                                   f"{at}: refused INS OID (obsolete or wrong) '{oid}'", f"{at}.4.2", pid.line))
            continue
        has_ins = True
        if oid not in authorities:
            findings.append(_error("PAMFR-INS-01", f"{at} : OID d'autorité « {oid} » inconnu pour un INS",
                                   f"{at}: assigning authority OID '{oid}' unknown for an INS", f"{at}.4.2", pid.line))
        else:
            if namespace and namespace != authorities[oid]:
                fr, en = expected_received(f"{at}.4.1", namespace, f"{authorities[oid]} (OID {oid})")
                findings.append(_error("PAMFR-INS-01", fr, en, f"{at}.4.1", pid.line))
            if oid_type != "ISO":
                findings.append(_error("PAMFR-INS-01", *expected_received(f"{at}.4.3", oid_type, "ISO"), f"{at}.4.3", pid.line))
            if production and oid in test_oids:
                findings.append(_error(
                    "PAMFR-INS-04", f"{at} : INS sous OID de test/démonstration {oid} dans un message de production (MSH-11 = P)",
                    f"{at}: INS under the test/demo OID {oid} in a production message (MSH-11 = P)", f"{at}.4.2", pid.line))
        if id_type != ins_type:
            findings.append(_error("PAMFR-INS-01", *expected_received(f"{at}.5", id_type, ins_type), f"{at}.5", pid.line))
        if not ins_key_ok(number):
            findings.append(_error("PAMFR-INS-02", f"{at} : matricule INS « {number} » invalide (15 caractères, clé 97 − n mod 97)",
                                   f"{at}: invalid INS matricule '{number}' (15 characters, key 97 − n mod 97)", f"{at}.1", pid.line))
    if not has_ipp:
        findings.append(_error("PAMFR-PID-01", "PID-3 ne porte pas d'IPP (CX-5 = PI avec autorité d'affectation)",
                               "PID-3 carries no IPP (CX-5 = PI with an assigning authority)", "PID-3", pid.line))
    statuses = {message.component(raw, 1) for raw in message.repetitions(pid, 32)}
    qualified = bool(statuses & set(ins.get("qualified_statuses", ("VALI",))))
    if has_ins and not qualified:
        findings.append(_error("PAMFR-INS-03", "INS transmis pour une identité non qualifiée (PID-32 ≠ VALI)",
                               "INS sent for an identity that is not qualified (PID-32 ≠ VALI)", "PID-32", pid.line))
    if qualified and not has_ins:
        findings.append(_error("PAMFR-INS-03", "identité qualifiée (PID-32 = VALI) sans INS dans PID-3",
                               "qualified identity (PID-32 = VALI) without an INS in PID-3", "PID-3", pid.line))
    return findings


@evaluates("PAMFR-ZBE-02")
def check_zbe(message: Message, event: EventProfile) -> list[Finding]:
    findings: list[Finding] = []
    expected = event.extra.get("zbe_action")
    originals = event.extra.get("zbe_original", [])
    for zbe in message.all("ZBE"):
        action = message.value(zbe, 4).strip()
        original = message.value(zbe, 6).strip()
        if expected and action in ("INSERT", "UPDATE", "CANCEL") and action != expected:  # unknown actions: PAMFR-ZBE-01
            fr, en = expected_received("ZBE-4", action, f"{expected} ({event.key})")
            findings.append(_error("PAMFR-ZBE-02", fr, en, "ZBE-4", zbe.line))
        if action in ("UPDATE", "CANCEL") and not original:
            findings.append(_error("PAMFR-ZBE-02", f"ZBE-4 = {action} : ZBE-6 doit porter l'événement d'origine",
                                   f"ZBE-4 = {action}: ZBE-6 must hold the original trigger event", "ZBE-6", zbe.line))
        elif action == "CANCEL" and originals and original not in originals:
            findings.append(_error("PAMFR-ZBE-02", f"ZBE-6 « {original} » : {event.key} annule {', '.join(originals)}",
                                   f"ZBE-6 '{original}': {event.key} cancels {', '.join(originals)}", "ZBE-6", zbe.line))
        elif action == "INSERT" and original:
            findings.append(_error("PAMFR-ZBE-02", "ZBE-4 = INSERT : ZBE-6 ne doit pas être renseigné",
                                   "ZBE-4 = INSERT: ZBE-6 must be empty", "ZBE-6", zbe.line))
    return findings
