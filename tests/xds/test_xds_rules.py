"""Every XDS requirement (packs ihe-xds-b and ci-sis-xds) proven both ways: the conforming fixtures of
fixtures/conforming/xds/ pass it, its mutant fails it and only it, with a location and a line."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.findings import Severity
from harness.core.verdicts import ArtefactVerdict
from harness.validation.dispatch import validate_bytes, validate_file

from xds_make_fixtures import FIXTURES as BUILDERS, build
from xds_mutants import FIXTURES, MUTANTS, Mutant

REGISTRY = PackRegistry.load()
CONTEXT = ValidationContext(registry=REGISTRY)
XDS_PACKS = ("ihe-xds-b", "ci-sis-xds")  # ci-sis-vihf: tests/vihf, tests/simulator/xds, test_xds_vihf
# XDSFR-SIG-*: a signature is not reproducible byte for byte, so no fixture on disk: test_xds_signature.py, both ways
XDS_REQUIREMENTS = {r.id: r for r in REGISTRY.requirements.values() if r.pack_id in XDS_PACKS and not r.id.startswith("XDSFR-SIG-")}
CONFORMING = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".xml", ".mtom"))


def test_the_fixtures_on_disk_are_those_the_generator_writes() -> None:
    assert sorted(p.name for p in CONFORMING) == sorted(BUILDERS)
    for path in CONFORMING:
        assert path.read_bytes() == build(path.name), f"{path.name}: run python tests/xds/xds_make_fixtures.py"


def test_every_xds_requirement_has_exactly_one_mutant() -> None:
    names = [m.requirement for m in MUTANTS]
    assert sorted(names) == sorted(set(names)), "two mutants for one requirement"
    assert set(names) == set(XDS_REQUIREMENTS)


def test_the_conforming_fixtures_together_evaluate_every_xds_requirement() -> None:
    evaluated: set[str] = set()
    for path in CONFORMING:
        evaluated |= set(validate_file(path, CONTEXT).evaluated)
    assert evaluated >= set(XDS_REQUIREMENTS), sorted(set(XDS_REQUIREMENTS) - evaluated)


@pytest.mark.parametrize("path", CONFORMING, ids=lambda p: p.name)
def test_conforming_fixture_passes_every_rule_it_evaluates(path: Path) -> None:
    report = validate_file(path, CONTEXT)
    assert report.kind == "xds"
    assert report.verdict is ArtefactVerdict.PASSED, [(f.requirement, f.location, f.message_en) for f in report.all_findings()]
    assert [f for f in report.all_findings() if f.severity is not Severity.INFO] == []
    assert all(child.verdict is ArtefactVerdict.PASSED for child in report.children)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.requirement)
def test_mutant_fails_exactly_its_requirement(mutant: Mutant) -> None:
    report = validate_bytes(mutant.build(), f"mutant-{mutant.requirement}-{mutant.fixture}", CONTEXT)
    assert report.kind == "xds" and report.reason is None, report.reason
    errors = {f.requirement for f in report.findings if f.severity is Severity.ERROR}
    assert report.verdict is ArtefactVerdict.FAILED
    assert errors == {mutant.requirement}, [(f.requirement, f.location, f.message_en) for f in report.findings]
    failing = [f for f in report.findings if f.requirement == mutant.requirement]
    assert all(f.location and f.line for f in failing), [(f.location, f.line) for f in failing]
    assert mutant.requirement in report.evaluated
