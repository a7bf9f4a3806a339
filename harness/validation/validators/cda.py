"""CDA R2 documents of the CI-SIS: detection and native validation (see harness.cda)."""

from __future__ import annotations

import codecs
import re

from harness.cda import validate_cda
from harness.cda.parse import Parsed
from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.findings import ArtefactReport

KIND = "cda"
_HL7 = b"urn:hl7-org:v3"
_CLINICAL_DOCUMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?ClinicalDocument[\s>/]")
_STYLESHEET = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:stylesheet|transform)[\s>]")


def _first_element(head: bytes) -> bytes:
    """The text from the first start tag on (skipping the XML declaration, comments and PIs)."""
    position = 0
    while True:
        start = head.find(b"<", position)
        if start < 0:
            return b""
        if head.startswith(b"<?", start):
            closing = b"?>"
        elif head.startswith(b"<!--", start):
            closing = b"-->"
        elif head.startswith(b"<!", start):  # DOCTYPE (refused later by the safe parser, with the reason)
            bracket, close = head.find(b"[", start), head.find(b">", start)
            closing = b"]>" if 0 <= bracket < close else b">"
        else:
            return head[start:start + 512]
        end = head.find(closing, start)
        if end < 0:
            return b""
        position = end + len(closing)


def detect(data: bytes) -> bool:
    """A ClinicalDocument root in the HL7 v3 namespace, or an xsl:stylesheet embedding one."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # sniffed on UTF-8; the parser reads the whole
        data = data[:131072].decode("utf-16", errors="ignore").encode("utf-8")
    head = _first_element(data)
    if _HL7 not in data:
        return False
    if _CLINICAL_DOCUMENT.match(head):
        return True
    return bool(_STYLESHEET.match(head)) and _CLINICAL_DOCUMENT.search(data) is not None


def validate(data: bytes, path: str, context: ValidationContext) -> ArtefactReport:
    return validate_cda(data, path, context)


def prepare(context: ValidationContext) -> None:
    """What `validate_cda` derives from the packs at its first call (the rules, the CDA data, the compiled checks), now."""
    from harness.cda import setup_of

    setup_of(context)


def validate_parsed(data: bytes, path: str, context: ValidationContext, parsed: Parsed) -> ArtefactReport:
    """The same validation on a document the caller has already parsed (`harness.cda.parse.parse`)."""
    return validate_cda(data, path, context, parsed=parsed)


def evaluates(registry: PackRegistry) -> dict[str, list[str]]:
    """Requirement id → what evaluates it in this validator (`profiles coverage`): the root check, the registered
    rules (entry points enrs_harness.cda_rules) and the loaded packs' declarative cda_checks."""
    from harness.cda import ROOT_REQUIREMENT
    from harness.cda.engine import RULES
    from harness.extension.registry import cda_rules

    cda_rules()
    found: dict[str, list[str]] = {ROOT_REQUIREMENT: ["harness.cda.validate_cda (root)"]}
    from harness.cda.data import cda_data
    from harness.cda.volets import native_rules

    cda_packs = tuple(p for p in registry.packs.values() if any("validator:cda" in r.evaluated_by for r in p.requirements))
    for rule in [*RULES, *native_rules(cda_data(cda_packs))]:
        found.setdefault(rule.requirement, []).append(f"rule {rule.check.__module__}.{rule.check.__qualname__}")
    for pack in registry.packs.values():
        for requirement in pack.requirements:
            if requirement.checks.get("cda"):
                found.setdefault(requirement.id, []).append(f"cda_checks ({len(requirement.checks['cda'])}) in {pack.id}")
    return found
