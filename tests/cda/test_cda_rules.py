"""Every CDA rule proven both ways: the conforming fixtures pass it, its mutant fails it (and only it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.findings import Severity
from harness.core.verdicts import ArtefactVerdict
from harness.validation.dispatch import validate_bytes, validate_file

from cda_mutants import EXTRA_MUTANTS, FIXTURES, MUTANTS, Mutant

REGISTRY = PackRegistry.load()
CONTEXT = ValidationContext(registry=REGISTRY)
CDA_REQUIREMENTS = {r.id: r for r in REGISTRY.requirements.values() if "validator:cda" in r.evaluated_by}
CONFORMING = sorted(FIXTURES.glob("*.xml"))


def test_every_cda_requirement_has_exactly_one_mutant() -> None:
    names = [m.requirement for m in MUTANTS]
    assert sorted(names) == sorted(set(names)), "two mutants for one requirement"
    assert set(names) == set(CDA_REQUIREMENTS)


def test_the_conforming_fixtures_together_evaluate_every_cda_requirement() -> None:
    evaluated: set[str] = set()
    for path in CONFORMING:
        evaluated |= set(validate_file(path, CONTEXT).evaluated)
    assert evaluated == set(CDA_REQUIREMENTS)


@pytest.mark.parametrize("path", CONFORMING, ids=lambda p: p.name)
def test_conforming_fixture_passes_every_rule_it_evaluates(path: Path) -> None:
    report = validate_file(path, CONTEXT)
    assert report.kind == "cda"
    assert report.verdict is ArtefactVerdict.PASSED, [(f.requirement, f.location, f.message_en) for f in report.findings]
    assert [f for f in report.findings if f.severity is not Severity.INFO] == []
    assert len(report.evaluated) > 60


@pytest.mark.parametrize("mutant", MUTANTS + EXTRA_MUTANTS, ids=lambda m: m.requirement)
def test_mutant_fails_exactly_its_requirement(mutant: Mutant) -> None:
    data = mutant.build()
    report = validate_bytes(data, f"mutant-{mutant.requirement}.xml", CONTEXT, kind="cda")
    errors = {f.requirement for f in report.findings if f.severity is Severity.ERROR}
    warnings = {f.requirement for f in report.findings if f.severity is Severity.WARNING}
    infos = {f.requirement for f in report.findings if f.severity is Severity.INFO}
    level = CDA_REQUIREMENTS[mutant.requirement].level
    if level == "MUST":
        assert report.verdict is ArtefactVerdict.FAILED
        assert errors == {mutant.requirement, *mutant.also}, [(f.requirement, f.location, f.message_en) for f in report.findings]
    elif level == "MAY":  # an information: the document still passes, with no warning
        assert report.verdict is ArtefactVerdict.PASSED
        assert errors == set() and warnings == set() and mutant.requirement in infos, [(f.requirement, f.location, f.message_en)
                                                                                       for f in report.findings]
    else:
        assert report.verdict is ArtefactVerdict.PASSED
        assert errors == set() and warnings == {mutant.requirement}, [(f.requirement, f.location, f.message_en) for f in report.findings]
    mine = [f for f in report.findings if f.requirement == mutant.requirement]
    assert mutant.location in [f.location for f in mine], [(f.location, f.message_en) for f in mine]
    assert all(isinstance(f.line, int) and f.line > 0 for f in mine)
    assert all(f.message_fr and f.message_en for f in mine)
    assert mutant.requirement in report.evaluated
