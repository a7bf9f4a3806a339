"""Message profiles compiled from profile-pack data (`[data.hl7v2]`, see docs/hl7v2.md).

A pack describes, per message type and trigger event ("ADT^A01"), the structure (written in
abstract message syntax, or the standard's from hl7apy plus inserted segments), the usage and
cardinality of segments, rules on fields and components, and value sets. Compiling resolves the
standard's structures and tables through hl7apy once; the result is cached per pack per process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from harness.core.errors import HarnessError
from harness.core.findings import Severity
from harness.extension.registry import hl7v2_rule_names
from harness.hl7v2 import ids
from harness.hl7v2.standard import message_structure, table_codes
from harness.hl7v2.structure import Automaton, Node, SyntaxDefinitionError, insert_after, parse_syntax

_PATH = re.compile(r"^([A-Z][A-Z0-9]{2})-(\d+)(?:\.(\d+)(?:\.(\d+))?)?$")
USAGES = ("R", "RE", "O", "C", "X")


@dataclass(frozen=True)
class SegmentRule:
    usage: str
    max: int  # -1 unbounded
    requirement: str


@dataclass(frozen=True)
class FieldRule:
    segment: str
    field: int
    comp: int | None
    sub: int | None
    usage: str | None = None
    values: frozenset[str] | None = None
    length: int | None = None
    max_reps: int | None = None
    match: str = "each"  # "each" repetition, or "any" one of them
    ignore_case: bool = False
    requirement: str | None = None
    severity: Severity = Severity.ERROR
    valueset_name: str | None = None


@dataclass
class EventProfile:
    key: str  # "ADT^A01"
    structure: str  # MSH-9.3 expected, e.g. ADT_A01
    automaton: Automaton
    syntax: Node
    segments: dict[str, SegmentRule]
    fields: list[FieldRule]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class CompiledProfile:
    pack_id: str
    rules: str | None  # name of the rule module run after the generic checks: "pam", "cda" (entry points enrs_harness.hl7v2_rules)
    versions: tuple[str, ...]
    events: dict[str, EventProfile]
    segment_types: dict[str, list[str]]  # data types of the fields of non-standard segments
    settings: dict[str, Any]
    data: dict[str, Any]
    requirement_ids: tuple[str, ...]
    declares: tuple[tuple[str, str], ...] = ()  # (MSH-21.2 profile, MSH-21.1 version) pairs this pack implements
    levels: dict[str, Severity] = field(default_factory=dict)  # requirement id → severity of a violation (from its level)

    def severity(self, requirement: str) -> Severity:
        """The severity of a violation of `requirement`: its pack level decides (MUST → error, SHOULD/MAY → warning)."""
        return self.levels.get(requirement, Severity.ERROR)

    def supported(self) -> list[str]:
        return [f"{profile} {version}" for profile, version in self.declares]


class ProfileDataError(HarnessError):
    def __init__(self, pack_id: str, where: str, problem: str) -> None:
        super().__init__(f"pack {pack_id} : [data.hl7v2] {where} : {problem}", f"pack {pack_id}: [data.hl7v2] {where}: {problem}")


def _field_rules(pack_id: str, table: dict[str, Any], valuesets: dict[str, frozenset[str]], version: str, where: str,
                 levels: dict[str, Severity]) -> list[FieldRule]:
    rules: list[FieldRule] = []
    for path, spec in table.items():
        match = _PATH.match(path)
        if not match or not isinstance(spec, dict):
            raise ProfileDataError(pack_id, where, f"bad field rule {path!r} (expected e.g. \"PID-3.4.2\" = {{ usage = \"R\" }})")
        usage = spec.get("usage")
        if usage is not None and usage not in USAGES:
            raise ProfileDataError(pack_id, where, f"{path}: usage {usage!r} not in {USAGES}")
        values = spec.get("values")
        valueset = spec.get("valueset")
        if valueset is not None:
            codes = valuesets.get(valueset) or table_codes(version, valueset)
            if codes is None:
                raise ProfileDataError(pack_id, where, f"{path}: unknown value set {valueset!r}")
            values = codes
        requirement = spec.get("requirement")
        # the requirement's level decides (MUST → error, SHOULD → warning); generic HL7V2-* checks are errors
        severity = Severity(spec["severity"]) if "severity" in spec else levels.get(requirement or "", Severity.ERROR)
        rules.append(FieldRule(
            segment=match.group(1), field=int(match.group(2)),
            comp=int(match.group(3)) if match.group(3) else None, sub=int(match.group(4)) if match.group(4) else None,
            usage=usage, values=frozenset(values) if values is not None else None, length=spec.get("length"),
            max_reps=spec.get("max_reps"), match=spec.get("match", "each"), ignore_case=bool(spec.get("ignore_case", False)),
            requirement=requirement, severity=severity, valueset_name=valueset,
        ))
    return rules


def _structure(pack_id: str, name: str, spec: dict[str, Any], version: str) -> Node:
    try:
        if "syntax" in spec:
            node = parse_syntax(spec["syntax"])
        elif "base" in spec:
            base = message_structure(version, spec["base"])
            if base is None:
                raise ProfileDataError(pack_id, f"structures.{name}", f"HL7 {version} has no structure {spec['base']}")
            node = base
        else:
            raise ProfileDataError(pack_id, f"structures.{name}", "needs 'syntax' or 'base'")
        for anchor, addition in spec.get("insert_after", {}).items():
            node, done = insert_after(node, anchor, parse_syntax(addition))
            if not done:
                raise ProfileDataError(pack_id, f"structures.{name}", f"insert_after: no segment {anchor}")
    except SyntaxDefinitionError as exc:
        raise ProfileDataError(pack_id, f"structures.{name}", str(exc)) from None
    return node


def _declares(pack_id: str, data: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for entry in data.get("declares", ()):
        if not isinstance(entry, dict) or not isinstance(entry.get("profile"), str) or not isinstance(entry.get("version"), str):
            raise ProfileDataError(pack_id, "declares", "expected entries { profile = \"CISIS_CDA_HL7_V2\", version = \"2.1\" }")
        pairs.append((entry["profile"], entry["version"]))
    return tuple(pairs)


def compile_profile(pack_id: str, data: dict[str, Any], settings: dict[str, Any], requirement_ids: tuple[str, ...],
                    levels: dict[str, Severity] | None = None) -> CompiledProfile:
    """Compile the `[data.hl7v2]` table of a pack."""
    versions = tuple(data.get("versions", ()))
    if data.get("rules") is not None and data["rules"] not in hl7v2_rule_names():
        known = ", ".join(hl7v2_rule_names()) or "-"
        raise ProfileDataError(pack_id, "rules", f"no HL7 v2 rule module registered as {data['rules']!r} (registered: {known})")
    if not versions:
        raise ProfileDataError(pack_id, "versions", "at least one HL7 version is expected")
    version = versions[0]
    valuesets = {name: frozenset(spec["codes"]) for name, spec in data.get("valuesets", {}).items()}
    levels = dict(levels or {})
    common_fields = _field_rules(pack_id, data.get("fields", {}), valuesets, version, "fields", levels)
    common_segments = data.get("segments", {})
    structures: dict[str, Node] = {}
    events: dict[str, EventProfile] = {}
    for key, spec in data.get("events", {}).items():
        structure_name = spec.get("structure")
        if not structure_name or structure_name not in data.get("structures", {}):
            raise ProfileDataError(pack_id, f"events.{key}", f"structure {structure_name!r} is not defined under structures")
        event_version = spec.get("version", version)
        cache_key = f"{structure_name}@{event_version}"
        if cache_key not in structures:
            structures[cache_key] = _structure(pack_id, structure_name, data["structures"][structure_name], event_version)
        segments: dict[str, SegmentRule] = {}
        for name, rule in {**common_segments, **spec.get("segments", {})}.items():
            rule = {"usage": rule} if isinstance(rule, str) else rule
            if rule.get("usage", "O") not in USAGES:
                raise ProfileDataError(pack_id, f"events.{key}.segments.{name}", f"usage {rule.get('usage')!r} not in {USAGES}")
            segments[name] = SegmentRule(rule.get("usage", "O"), int(rule.get("max", -1)), rule.get("requirement", ids.SEGMENT_USAGE))
        event_fields = _field_rules(pack_id, spec.get("fields", {}), valuesets, event_version, f"events.{key}.fields", levels)
        overridden = {(r.segment, r.field, r.comp, r.sub) for r in event_fields}
        fields = [r for r in common_fields if (r.segment, r.field, r.comp, r.sub) not in overridden] + event_fields
        extra = {k: v for k, v in spec.items() if k not in ("structure", "segments", "fields")}
        node = structures[cache_key]
        events[key] = EventProfile(key, spec.get("message_structure", structure_name), Automaton.compile(node), node, segments, fields,
                                   extra)
    return CompiledProfile(pack_id, data.get("rules"), versions, events, data.get("segment_types", {}), settings, data, requirement_ids,
                           _declares(pack_id, data), levels)


_compiled: dict[tuple[str, str], CompiledProfile] = {}


def profile_for_pack(pack: Any) -> CompiledProfile | None:
    """The compiled profile of a loaded `ProfilePack` (None if it has no `[data.hl7v2]`), cached."""
    data = pack.data.get("hl7v2")
    if not data:
        return None
    key = (pack.id, str(pack.path))
    if key not in _compiled:
        levels = {r.id: Severity.ERROR if r.level == "MUST" else Severity.WARNING for r in pack.requirements}
        _compiled[key] = compile_profile(pack.id, data, pack.settings, tuple(r.id for r in pack.requirements), levels)
    return _compiled[key]


@cache
def base_event(version: str, structure: str) -> EventProfile | None:
    """The standard's structure alone (no profile rules): what a message is judged on when the profile
    it declares is not supported. None when the version does not define that structure."""
    node = message_structure(version, structure)
    if node is None:
        return None
    return EventProfile(structure, structure, Automaton.compile(node), node, {}, [], {})
