"""run_rules pauses the cyclic garbage collector while a document's rules run, and leaves it as it found it."""

from __future__ import annotations

import gc
import weakref

from lxml import etree

from harness.cda.data import CdaData
from harness.cda.engine import Doc, Out, Rule, run_rules
from harness.cda.pdf import Ends


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


def test_what_the_rules_derived_is_freed_before_the_collector_resumes_and_rebuilt_if_asked_again() -> None:
    root = etree.fromstring(b'<ClinicalDocument xmlns="urn:hl7-org:v3"><title/><author><time/></author><component/></ClinicalDocument>')
    doc = Doc(root=root)
    derived: list[weakref.ref[object]] = []
    answers: list[int] = []

    def check(doc: Doc, data: CdaData, out: Out) -> None:
        index = doc.header
        derived.append(weakref.ref(index))
        doc.cache["shared"] = [doc.everywhere("{urn:hl7-org:v3}time")]
        doc.decoded[doc.root] = Ends(b"x", b"x")
        answers.append(len(index.at("author/time")) + len(doc.structured_bodies()))

    rule = Rule("TEST-GC", check)
    run_rules(doc, CdaData(), {"TEST-GC": "MUST"}, [rule])
    assert derived[0]() is None  # freed by reference counting, not left to the collector
    assert doc.cache == {} and doc.decoded == {}
    run_rules(doc, CdaData(), {"TEST-GC": "MUST"}, [rule])  # the same document again: the same answers
    assert answers == [1, 1] and derived[1]() is None
