"""HL7 v2 messages (PAM FR ADT, CDA transmission ORU/MDM, ACK, ZAM): see harness/hl7v2/."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.config.context import ValidationContext
    from harness.config.packs import PackRegistry
    from harness.core.findings import ArtefactReport

KIND = "hl7v2"


def detect(data: bytes) -> bool:
    head = data[:64].lstrip(b"\x0b\xef\xbb\xbf \t\r\n")
    return head.startswith(b"MSH") and len(head) > 3 and not chr(head[3]).isalnum()


def validate(data: bytes, path: str, context: ValidationContext) -> ArtefactReport:
    from harness.hl7v2.validate import validate_message  # loaded with the first message: a CDA-only run never needs it

    return validate_message(data, path, context)


def evaluates(registry: PackRegistry) -> dict[str, list[str]]:
    """Requirement id → what evaluates it in this validator (`profiles coverage`): the ids the generic checks
    register (harness.hl7v2.registered, named by their harness.hl7v2.ids constant), the rules of the packs'
    [data.hl7v2] tables, the ids their rule modules' checks register (under the pack's requirement_prefix), the
    registered rule functions and the declarative hl7v2_checks."""
    from harness.extension.registry import hl7v2_rule_functions, hl7v2_rule_module
    from harness.hl7v2 import ack, checks, ids, tokenizer, validate
    from harness.hl7v2.registered import module_ids

    names = {value: name for name, value in vars(ids).items() if name.isupper() and isinstance(value, str)}
    found: dict[str, list[str]] = {}
    for generic in (tokenizer, validate, checks, ack):
        for generic_id in module_ids(generic.__name__):
            found.setdefault(generic_id, []).append(f"harness.hl7v2 generic check ({names[generic_id]})")
    for pack in registry.packs.values():
        data = pack.data.get("hl7v2")
        if data:
            for named in sorted(set(_requirements_in(data))):
                found.setdefault(named, []).append(f"[data.hl7v2] rule in {pack.id}")
            if data.get("rules"):
                module = hl7v2_rule_module(data["rules"])
                prefix = data.get("requirement_prefix")
                for rule_id in module_ids(module.__name__):
                    named = prefix + rule_id[rule_id.index("-"):] if prefix else rule_id
                    found.setdefault(named, []).append(f"rule module {data['rules']} ({module.__name__})")
        for requirement in pack.requirements:
            if requirement.id in hl7v2_rule_functions():
                function = hl7v2_rule_functions()[requirement.id]
                found.setdefault(requirement.id, []).append(f"rule {function.__module__}.{function.__qualname__}")
            if requirement.checks.get("hl7v2"):
                found.setdefault(requirement.id, []).append(f"hl7v2_checks ({len(requirement.checks['hl7v2'])}) in {pack.id}")
    return found


def _requirements_in(data: Any) -> list[str]:
    """Every `requirement = "ID"` of a [data.hl7v2] table (field, segment and event rules)."""
    if isinstance(data, dict):
        own = [data["requirement"]] if isinstance(data.get("requirement"), str) else []
        return own + [r for value in data.values() for r in _requirements_in(value)]
    if isinstance(data, list):
        return [r for value in data for r in _requirements_in(value)]
    return []
