"""Native validation of CDA R2 documents for the CI-SIS (layers 1 to 4).

1. safe parsing (harness.core.xmlsafe): unreadable or unsafe input → ABORTED with the reason;
2. CDA R2 structure (structure.py, pack ci-sis-cda-structure);
3. CI-SIS header "Structuration minimale" and N1 documents (header.py, patient.py, header_common.py,
   participants.py, acts.py, nonxml.py; pack ci-sis-cda-header);
4. volet detection and native volet checks (volets.py, pack ci-sis-cda-volets).
With a kit folder (--kit), harness.cdakit adds the official kit's XSD and schematron findings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, cast

from harness.cda import engine, volets
from harness.cda.data import CdaData, cda_data, with_value_sets
from harness.cda.declarative import declarative_rules
from harness.cda.engine import ActiveRule, Doc, Rule, active_rules, run_plan
from harness.cda.parse import Parsed, UnsafeOrInvalidXml, parse
from harness.cda.xpath import location
from harness.config.context import ValidationContext
from harness.config.packs import ProfilePack
from harness.core.errors import HarnessError
from harness.core.fileio import sha256_hex
from harness.core.findings import ArtefactReport, Finding, Severity
from harness.core.verdicts import ArtefactVerdict
from harness.extension.registry import cda_rules

KIND = "cda"
EVALUATOR = "validator:cda"
ROOT_REQUIREMENT = "CDA-ROOT"


def _is_cda_pack(pack: ProfilePack) -> bool:
    return any(EVALUATOR in r.evaluated_by for r in pack.requirements)


T = TypeVar("T")
_CACHE: dict[tuple[int, ...], tuple[tuple[ProfilePack, ...], object]] = {}


def _cached(packs: tuple[ProfilePack, ...], build: Callable[[tuple[ProfilePack, ...]], T]) -> T:
    """`build(packs)` once per set of pack objects (keyed by identity; the entry keeps the packs alive)."""
    key = tuple(id(p) for p in packs) + (id(build),)
    hit = _CACHE.get(key)
    if hit is None:
        if len(_CACHE) > 64:
            _CACHE.clear()
        hit = _CACHE[key] = (packs, build(packs))
    return cast(T, hit[1])


def _cda_packs(packs: tuple[ProfilePack, ...]) -> tuple[ProfilePack, ...]:
    return tuple(p for p in packs if _is_cda_pack(p))


def _active(packs: tuple[ProfilePack, ...]) -> dict[str, str]:
    return {r.id: r.level for pack in packs for r in pack.requirements if EVALUATOR in r.evaluated_by}


def active_requirements(context: ValidationContext) -> dict[str, str]:
    """Requirement id → level, for the CDA requirements of the selected packs (all packs when none is)."""
    return _cached(tuple(context.selected or context.registry.packs.values()), _active)


def declarative_rules_of(context: ValidationContext) -> list[Rule]:
    """The rules of the selected packs' cda_checks (harness.cda.declarative), compiled once per set of packs."""
    return _cached(tuple(context.selected or context.registry.packs.values()), _declarative)


def _declarative(packs: tuple[ProfilePack, ...]) -> list[Rule]:
    return declarative_rules(packs, cda_rules())


def volet_rules_of(context: ValidationContext) -> list[Rule]:
    """The native volet checks the loaded volets table asks for (volets.native_rules), once per set of packs."""
    return _cached(_cached(tuple(context.registry.packs.values()), _cda_packs), _volet_rules)  # CDA packs sorted out once


def _volet_rules(packs: tuple[ProfilePack, ...]) -> list[Rule]:
    return volets.native_rules(_cached(packs, cda_data))


def data_of(context: ValidationContext) -> CdaData:
    """Value sets, volets and constants of every loaded CDA pack (selected or not); with a kit, its value sets win."""
    data = _cached(_cached(tuple(context.registry.packs.values()), _cda_packs), cda_data)
    if context.kit_dir is None:
        return data
    key = (id(data), str(Path(context.kit_dir).resolve()))
    hit = _KIT_DATA.get(key)
    if hit is None or hit[0] is not data:
        from harness.cdakit.valuesets import kit_value_sets  # reads the kit's SVS files, once per kit and packs

        found = kit_value_sets(Path(context.kit_dir), {vs.oid for vs in data.valuesets.values() if vs.oid})
        hit = _KIT_DATA[key] = (data, with_value_sets(data, {oid: codes for oid, (_file, codes) in found.items()}))
    return hit[1]


_KIT_DATA: dict[tuple[int, str], tuple[CdaData, CdaData]] = {}


@dataclass(frozen=True)
class Setup:
    """What validate_cda takes from a context, the same for each of its documents: the active requirements, the CDA
    data, and the rules to run resolved once (registered, volet and declarative ones, each with its severity)."""

    active: dict[str, str]
    data: CdaData
    rules: tuple[ActiveRule, ...]


_SETUPS: dict[int, tuple[tuple[object, ...], list[Rule], Setup]] = {}


def setup_of(context: ValidationContext) -> Setup:
    """The Setup of `context`, built at its first document (or by the validator's prepare) and kept while what it
    was built from is unchanged: the context's packs, selection and kit, and the registered rules."""
    cda_rules()  # the registered rules (entry points enrs_harness.cda_rules), loaded once
    basis = (context, context.registry, *context.registry.packs.values(), None, *context.selected, context.kit_dir)
    hit = _SETUPS.get(id(context))  # the entry keeps its context alive: its id is not reused while it is there
    if hit is None or hit[0] != basis or hit[1] != engine.RULES:  # the module's list, even one put in its place
        active = active_requirements(context)
        setup = Setup(active, data_of(context), active_rules(active, [*volet_rules_of(context), *declarative_rules_of(context)]))
        if len(_SETUPS) > 64:
            _SETUPS.clear()
        hit = _SETUPS[id(context)] = (basis, list(engine.RULES), setup)
    return hit[2]


def validate_cda(data: bytes, path: str, context: ValidationContext, parsed: Parsed | None = None) -> ArtefactReport:
    """Validate a CDA document; `parsed`: the same bytes already parsed by the caller (a CDA embedded in
    an HL7 v2 message is parsed once, for the message's cross-checks and for this validation)."""
    report = ArtefactReport(path=path, sha256=sha256_hex(data), size=len(data), kind=KIND, verdict=ArtefactVerdict.ABORTED)
    if parsed is None:
        try:
            parsed = parse(data, context.max_bytes)
        except UnsafeOrInvalidXml as exc:
            report.reason = f"{exc.fr} (ligne {exc.line}) / {exc.en} (line {exc.line})" if exc.line else f"{exc.fr} / {exc.en}"
            return report
    setup = setup_of(context)
    active, cdata = setup.active, setup.data
    findings: list[Finding] = []
    evaluated: list[str] = []
    volet_version = None  # the volet version applied natively, shared with kit mode
    if ROOT_REQUIREMENT in active:
        evaluated.append(ROOT_REQUIREMENT)
    if parsed.document is None:
        root = parsed.tree.getroot()
        fr, en = parsed.problem or ("ClinicalDocument absent", "no ClinicalDocument")
        if ROOT_REQUIREMENT in active:
            findings.append(Finding(ROOT_REQUIREMENT, Severity.ERROR, fr, en, location(root), root.sourceline))
        else:
            report.reason = f"{fr} / {en}"
            return report
    else:
        doc = Doc(root=parsed.document, self_presenting=parsed.self_presenting)
        doc.volet = volets.detect_volet(doc, cdata, context.volet_versions)
        if doc.volet is not None:
            doc.volet_spec = cdata.volets[doc.volet.key]
            report.profile, report.version = doc.volet.name, doc.volet.version
            volet_version = doc.volet.inference
        elif doc.is_n1:
            report.profile = "N1"
        try:
            rule_findings, rule_ids = run_plan(doc, cdata, setup.rules)
        except HarnessError as exc:  # a third-party rule that failed: its plugin is named
            report.reason = f"{exc.fr} / {exc.en}"
            return report
        except Exception as exc:  # a rule bug must not stop a run: the document is reported unevaluated
            report.reason = f"erreur interne d'une règle CDA / internal error in a CDA rule: {type(exc).__name__}: {exc}"
            return report
        findings.extend(rule_findings)
        evaluated.extend(rule_ids)
    if context.kit_dir is not None:
        try:
            from harness.cdakit import kit_findings  # the official kit mode (layer 5), loaded only when asked

            kit_found, kit_evaluated = kit_findings(parsed.tree, data, Path(context.kit_dir), volet_version)
        except Exception as exc:  # a missing or failing kit mode must not stop the other documents
            report.reason = f"mode kit en échec / kit mode failed: {type(exc).__name__}: {exc}"
            report.findings = sorted(findings, key=lambda f: (f.line is None, f.line or 0, f.requirement))
            report.evaluated = evaluated
            return report
        findings.extend(kit_found)
        evaluated.extend(kit_evaluated)
    report.findings = sorted(findings, key=lambda f: (f.line is None, f.line or 0, f.requirement))
    report.evaluated = evaluated
    report.verdict = ArtefactReport.verdict_of(findings)
    return report
