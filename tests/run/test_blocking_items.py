"""What blocks a certificate (harness/run/certification.py, blocking_items), item by item, called directly.

Every kind of item is shown both ways: in scope and not judged, it blocks with its reason; judged,
outside the scope or of a kind the scope does not cover, it does not (docs/results.md, "blocking").
"""

from __future__ import annotations

from typing import Any

from harness.config.scope import Scope
from harness.core.verdicts import Verdict
from harness.run import recorder
from harness.run.certification import blocking_items
from harness.run.recorder import ArtefactRecord

SCOPE = Scope(declared=False, source=None, profiles=("trust",))


def _row(id_: str, level: str, verdict: str, in_scope: bool | None = True, **extra: Any) -> dict[str, Any]:
    row = {"id": id_, "level": level, "verdict": verdict, "applies_to": ["cda"], **extra}
    if in_scope is not None:
        row["in_scope"] = in_scope
    return row


def _aborted(nodeid: str, subject: tuple[str, str] | None, reason: str | None = "illisible / unreadable",
             **fields: Any) -> recorder.TestRecord:
    record = recorder.TestRecord(nodeid, fields.pop("requirements", []), fields.pop("packs", []), **fields)
    record.finish(fields.get("verdict", Verdict.ABORTED), reason, 0.0)
    record.subject = subject
    return record


def _artefact(name: str, kind: str | None, verdict: str = "ABORTED", reason: str | None = None) -> ArtefactRecord:
    return ArtefactRecord(name, "", 0, kind=kind, verdict=verdict, reason=reason)


def test_requirements_block_when_in_scope_and_a_must_is_not_passed_or_any_is_aborted() -> None:
    rows = [
        _row("R-MUST-FAILED", "MUST", "FAILED", reason={"fr": "échec", "en": "failure"}),
        _row("R-SHOULD-ABORTED", "SHOULD", "ABORTED", reasons=[{"test": "t0", "reason": ""}, {"test": "t1", "reason": "panne / outage"}]),
        _row("R-SHOULD-FAILED", "SHOULD", "FAILED", reason={"fr": "x", "en": "x"}),
        _row("R-MUST-OUTSIDE", "MUST", "NOT_TESTED", in_scope=False, reason={"fr": "hors", "en": "out"}),
        _row("R-ABORTED-OUTSIDE", "SHOULD", "ABORTED", in_scope=False),
        _row("R-MUST-PASSED", "MUST", "PASSED"),
        _row("R-MUST-WAIVED", "MUST", "WAIVED"),
        _row("R-MUST-NA", "MUST", "NOT_APPLICABLE"),
        _row("R-MUST-NOT-TESTED", "MUST", "NOT_TESTED", in_scope=None),  # no in_scope key: in scope (no declared scope)
    ]
    assert blocking_items(rows, [], SCOPE) == [
        {"kind": "requirement", "id": "R-MUST-FAILED", "level": "MUST", "verdict": "FAILED", "reason": {"fr": "échec", "en": "failure"}},
        {"kind": "requirement", "id": "R-SHOULD-ABORTED", "level": "SHOULD", "verdict": "ABORTED",
         "reason": {"fr": "panne", "en": "outage"}},
        {"kind": "requirement", "id": "R-MUST-NOT-TESTED", "level": "MUST", "verdict": "NOT_TESTED", "reason": {"fr": "", "en": ""}},
    ]


def test_aborted_artefacts_block_once_per_file_when_their_kind_is_in_scope() -> None:
    rows = [_row("R1", "MUST", "PASSED"), _row("R-OUT", "MUST", "PASSED", in_scope=False, applies_to=["hl7v2"])]
    records = [
        _aborted("t::one", ("artefact", "/docs/one/x.xml"), artefacts=[_artefact("x.xml", "cda")]),
        _aborted("t::two", ("artefact", "/docs/two/x.xml"), artefacts=[_artefact("x.xml", "cda", reason="tronqué / truncated")]),
        _aborted("t::again", ("artefact", "/docs/one/x.xml"), artefacts=[_artefact("x.xml", "cda")]),  # the same file again
        _aborted("t::hl7", ("artefact", "/docs/m.hl7"), artefacts=[_artefact("m.hl7", "hl7v2")]),  # a kind outside the scope
        _aborted("t::unknown", None, artefacts=[_artefact("blob.txt", None)]),  # unrecognised kind: blocks
        _aborted("t::fine", ("artefact", "/docs/ok.xml"), verdict=Verdict.PASSED, artefacts=[_artefact("ok.xml", "cda", "PASSED")]),
    ]
    unreadable = {"fr": "illisible", "en": "unreadable"}
    assert blocking_items(rows, records, SCOPE) == [
        {"kind": "artefact", "id": "x.xml", "path": "/docs/one/x.xml", "test": "t::one", "verdict": "ABORTED", "reason": unreadable},
        {"kind": "artefact", "id": "x.xml", "path": "/docs/two/x.xml", "test": "t::two", "verdict": "ABORTED",
         "reason": {"fr": "tronqué", "en": "truncated"}},
        {"kind": "artefact", "id": "blob.txt", "path": None, "test": "t::unknown", "verdict": "ABORTED", "reason": unreadable},
    ]


def test_aborted_checks_without_an_artefact_block_when_their_subject_is_in_scope() -> None:
    rows = [_row("R1", "MUST", "PASSED"), _row("R-OUT", "MUST", "NOT_APPLICABLE", in_scope=False)]
    explicit = {"R1": (Verdict.ABORTED, None)}
    records = [
        _aborted("t::doc", ("artefact", "/docs/three/y.xml")),  # a document test that ended before recording its artefact
        _aborted("t::api", ("endpoint", "dmp/api"), requirements=["R1"]),
        _aborted("t::outside", ("endpoint", "outside"), requirements=["R-OUT"]),  # judges only what is outside the scope
        _aborted("t::explicit", ("endpoint", "explicit"), requirements=["R-OUT"], explicit=explicit),
        _aborted("t::pack", ("endpoint", "pack"), packs=["trust"]),
        _aborted("t::other-pack", ("endpoint", "other-pack"), packs=["other"]),
        _aborted("t::failed", ("endpoint", "failed"), requirements=["R1"], verdict=Verdict.FAILED),  # judged: no item
        _aborted("t::no-subject", None, requirements=["R1"]),  # a requirement's own test: its row says it
        _aborted("t::last", ("endpoint", "last"), requirements=["R1"]),
    ]
    unreadable = {"fr": "illisible", "en": "unreadable"}
    assert blocking_items(rows, records, SCOPE) == [
        {"kind": "artefact", "id": "y.xml", "path": "/docs/three/y.xml", "test": "t::doc", "verdict": "ABORTED", "reason": unreadable},
        {"kind": "endpoint", "id": "dmp/api", "path": None, "test": "t::api", "verdict": "ABORTED", "reason": unreadable},
        {"kind": "endpoint", "id": "explicit", "path": None, "test": "t::explicit", "verdict": "ABORTED", "reason": unreadable},
        {"kind": "endpoint", "id": "pack", "path": None, "test": "t::pack", "verdict": "ABORTED", "reason": unreadable},
        {"kind": "endpoint", "id": "last", "path": None, "test": "t::last", "verdict": "ABORTED", "reason": unreadable},
    ]
