"""run_rules pauses the cyclic garbage collector while a document's rules run, and leaves it as it found it."""

from __future__ import annotations

import gc

from lxml import etree

from harness.cda.data import CdaData
from harness.cda.engine import Doc, Out, Rule, run_rules


def _seen() -> tuple[list[bool], Rule]:
    seen: list[bool] = []

    def check(doc: Doc, data: CdaData, out: Out) -> None:
        seen.append(gc.isenabled())
        out.fail(doc.root, "x", "x")

    return seen, Rule("TEST-GC", check)


def test_collector_paused_during_the_rules_then_enabled_again() -> None:
    seen, rule = _seen()
    assert gc.isenabled()
    findings, evaluated = run_rules(Doc(root=etree.fromstring(b"<a/>")), CdaData(), {"TEST-GC": "MUST"}, [rule])
    assert seen == [False] and gc.isenabled()
    assert evaluated == ["TEST-GC"] and [f.requirement for f in findings] == ["TEST-GC"]


def test_a_collector_disabled_by_the_caller_stays_disabled() -> None:
    seen, rule = _seen()
    gc.disable()
    try:
        run_rules(Doc(root=etree.fromstring(b"<a/>")), CdaData(), {"TEST-GC": "MUST"}, [rule])
        assert seen == [False] and not gc.isenabled()
    finally:
        gc.enable()
