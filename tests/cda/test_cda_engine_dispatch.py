"""The rules of a document share one collector (each sees only its own findings, capped on its own), and
validate_cda resolves the rules to run once per context, again when the registered rules or the packs change."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from harness.cda import engine, setup_of
from harness.cda.data import CdaData
from harness.cda.engine import MAX_FINDINGS_PER_RULE, Doc, Out, Rule, run_rules
from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.findings import Severity
from harness.validation.dispatch import validate_file

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "conforming" / "cda" / "vsm-2023.xml"


def _failing(times: int, seen: list[tuple[str, Severity, int]]) -> engine.Check:
    def check(doc: Doc, data: CdaData, out: Out) -> None:
        seen.append((out.requirement, out.severity, len(out.findings)))
        for _ in range(times):
            out.fail(doc.root, "fr", "en")

    return check


def test_each_rule_sees_its_own_requirement_severity_and_no_earlier_finding() -> None:
    seen: list[tuple[str, Severity, int]] = []
    rules = [Rule("T-MANY", _failing(MAX_FINDINGS_PER_RULE + 3, seen)), Rule("T-NONE", _failing(0, seen)),
             Rule("T-SKIPPED", _failing(1, seen), when=lambda doc: False), Rule("T-TWO", _failing(2, seen))]
    active = {"T-MANY": "MUST", "T-NONE": "MAY", "T-SKIPPED": "MUST", "T-TWO": "SHOULD"}
    findings, evaluated = run_rules(Doc(root=etree.fromstring(b"<a/>")), CdaData(), active, rules)
    assert seen == [("T-MANY", Severity.ERROR, 0), ("T-NONE", Severity.INFO, 0), ("T-TWO", Severity.WARNING, 0)]
    assert evaluated == ["T-MANY", "T-NONE", "T-TWO"]
    assert [(f.requirement, f.severity, f.not_listed) for f in findings] == (
        [("T-MANY", Severity.ERROR, 0)] * MAX_FINDINGS_PER_RULE + [("T-MANY", Severity.ERROR, 3)]
        + [("T-TWO", Severity.WARNING, 0)] * 2)


def test_the_setup_is_kept_per_context_and_rebuilt_when_the_registered_rules_change() -> None:
    context = ValidationContext(registry=PackRegistry.load())
    first = setup_of(context)
    assert setup_of(context) is first
    requirement = "SM-TELECOM"
    assert requirement in first.active

    def replaced(doc: Doc, data: CdaData, out: Out) -> None:
        out.fail(doc.root, "remplacée", "replaced")

    before = list(engine.RULES)
    try:
        engine.RULES[:] = [Rule(r.requirement, replaced, None) if r.requirement == requirement else r for r in before]
        assert [f.message_en for f in validate_file(FIXTURE, context).findings] == ["replaced"]
        assert setup_of(context) is not first
    finally:
        engine.RULES[:] = before
    assert validate_file(FIXTURE, context).findings == []
    assert [r[0] for r in setup_of(context).rules] == [r[0] for r in first.rules]


def test_another_selection_of_packs_gets_its_own_setup() -> None:
    registry = PackRegistry.load()
    everything = ValidationContext(registry=registry)
    structure = ValidationContext(registry=registry, selected=registry.select(["ci-sis-cda-structure"]))
    assert set(setup_of(structure).active) < set(setup_of(everything).active)
    assert {r[0] for r in setup_of(structure).rules} <= set(setup_of(structure).active)
    assert setup_of(everything) is setup_of(everything)
