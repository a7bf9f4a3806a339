"""Every finding of an HL7 v2 message names a requirement registered by a check that ran on it
(`@evaluates` in harness/hl7v2/registered.py), or by the data of the pack that judged it: a check that
emits an id it did not register fails here. Run on every HL7 v2 fixture, conforming and nonconforming,
and on the agency's examples when ENRS_ANS_HL7_EXAMPLES is set."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from harness.config.context import ValidationContext
from harness.core.findings import ArtefactReport, Finding
from harness.extension.registry import hl7v2_rule_functions, hl7v2_rule_module
from harness.hl7v2 import registered, rules_cda, rules_pam
from harness.hl7v2.registered import registered_checks
from harness.validation.dispatch import validate_bytes
from harness.validation.validators.hl7v2 import _requirements_in

REPO = Path(__file__).resolve().parents[2]
FIXTURES = sorted((REPO / "fixtures").rglob("*.hl7"))
EXAMPLES = os.environ.get("ENRS_ANS_HL7_EXAMPLES")


def traced(data: bytes, path: str, context: ValidationContext) -> tuple[ArtefactReport, set[Callable[..., Any]]]:
    """The message's report and the registered checks that ran while it was validated."""
    checks = {check.__code__: check for check in registered_checks()}
    ran: set[Callable[..., Any]] = set()

    def record(frame: Any, event: str, _arg: Any) -> None:
        if event == "call" and frame.f_code in checks:
            ran.add(checks[frame.f_code])

    sys.setprofile(record)
    try:
        report = validate_bytes(data, path, context, kind="hl7v2")
    finally:
        sys.setprofile(None)
    return report, ran


def unregistered(report: ArtefactReport, ran: set[Callable[..., Any]], context: ValidationContext) -> list[Finding]:
    """The message's own findings (not the nested CDA reports') whose requirement no check that ran registered."""
    allowed = set(hl7v2_rule_functions())  # the extensions' rule functions: registered by their entry point's name
    prefix, module = None, None
    pack = context.registry.packs.get((report.profile or "").split(" ")[0])
    if pack is not None:
        allowed |= {r.id for r in pack.requirements if r.checks.get("hl7v2")}  # the pack's declarative hl7v2_checks
        data = pack.data.get("hl7v2", {})
        allowed |= set(_requirements_in(data))  # the pack's segment and field rules name their requirement
        if data.get("rules"):
            prefix, module = data.get("requirement_prefix"), hl7v2_rule_module(data["rules"]).__name__
    for check in ran:
        for requirement in registered_checks()[check]:  # the pack's rule module's ids are named with the pack's prefix
            renamed = prefix and check.__module__ == module
            allowed.add(f"{prefix}{requirement[requirement.index('-'):]}" if renamed else requirement)
    return [f for f in report.findings if f.requirement not in allowed]


def test_the_fixtures_cover_conforming_and_nonconforming_messages() -> None:
    assert {p.relative_to(REPO / "fixtures").parts[0] for p in FIXTURES} == {"conforming", "nonconforming"}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(REPO / "fixtures")))
def test_every_finding_names_an_id_a_check_that_ran_registered(path: Path, context: ValidationContext) -> None:
    report, ran = traced(path.read_bytes(), str(path), context)
    assert ran  # the tracing sees the checks
    assert unregistered(report, ran, context) == []


@pytest.mark.skipif(not EXAMPLES, reason="ENRS_ANS_HL7_EXAMPLES is not set (the agency's examples are not shipped)")
def test_every_finding_on_the_agency_examples_names_a_registered_id(context: ValidationContext) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from hl7v2_agency_examples import message_files

    paths = message_files(Path(EXAMPLES or "."))
    assert paths
    for path in paths:
        report, ran = traced(path.read_bytes(), str(path), context)
        assert unregistered(report, ran, context) == [], path


def test_an_id_its_check_did_not_register_is_caught(context: ValidationContext, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other way: check_zbe emitting PAMFR-ZBE-02 without registering it is reported, and only that."""
    path = REPO / "fixtures" / "nonconforming" / "hl7v2" / "adt-a11-zbe-insert.hl7"
    report, ran = traced(path.read_bytes(), str(path), context)
    assert rules_pam.check_zbe in ran and unregistered(report, ran, context) == []
    monkeypatch.setitem(registered._REGISTERED, rules_pam.check_zbe, ())
    caught = unregistered(*traced(path.read_bytes(), str(path), context), context)
    assert caught and {f.requirement for f in caught} == {"PAMFR-ZBE-02"}


def test_a_renamed_rule_module_id_is_accepted_only_under_the_packs_prefix(context: ValidationContext) -> None:
    """LPS messages (rules_cda under the LPSH2 prefix): an LPSH2 finding is explained, its CDAH2 name would not be."""
    lps = [p for p in FIXTURES if "lps" in p.name and "nonconforming" in p.parts]
    assert lps
    for path in lps:
        report, ran = traced(path.read_bytes(), str(path), context)
        own = [f for f in report.findings if f.requirement.startswith("LPSH2-")]
        if own and any(check.__module__ == rules_cda.__name__ for check in ran):
            report.findings = [replace(f, requirement="CDAH2" + f.requirement[5:]) for f in own]
            assert unregistered(report, ran, context) == report.findings
            return
    pytest.fail("no nonconforming LPS fixture with an LPSH2 finding")
