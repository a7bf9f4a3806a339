"""Which requirement a waiver turns into WAIVED (docs/campaigns.md, "Waivers").

Only a FAILED requirement is waived, never a PASSED, ABORTED, NOT_TESTED or NOT_APPLICABLE one; a
waiver is valid up to and including its `expires` day and expired from the day after.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from harness.core.verdicts import Verdict
from harness.run.waivers import Waiver, apply_waivers

EXPIRES = dt.date(2026, 12, 31)
WAIVER = Waiver(requirement="REQ-1", candidate="DPI Exemple", justification="accepté jusqu'à la v3",
                approver="ARS Exemple", expires=EXPIRES)


def _rows(verdict: Verdict) -> list[dict[str, Any]]:
    return [{"id": "REQ-1", "level": "MUST", "verdict": str(verdict), "reasons": []},
            {"id": "REQ-2", "level": "MUST", "verdict": "FAILED", "reasons": []}]


def test_a_valid_waiver_turns_a_failed_requirement_into_waived() -> None:
    rows = _rows(Verdict.FAILED)
    statuses = apply_waivers(rows, [WAIVER], "DPI Exemple", "2.3", dt.date(2026, 6, 1))
    assert rows[0]["verdict"] == "WAIVED"
    assert rows[0]["waiver"]["approver"] == "ARS Exemple" and rows[0]["waiver"]["expires"] == "2026-12-31"
    assert "accepté jusqu'à la v3" in rows[0]["reasons"][0]["reason"]
    assert rows[1]["verdict"] == "FAILED"  # the waiver names REQ-1 only
    assert [s["status"] for s in statuses] == ["applied"]
    assert statuses[0]["requirement"] == "REQ-1"


def _not_judged(verdict: str) -> dict[str, str]:
    return {"fr": f"l'exigence n'a pas été jugée ({verdict}) : une dérogation ne couvre qu'un échec",
            "en": f"the requirement was not judged ({verdict}): a waiver covers a failure only"}


@pytest.mark.parametrize(("verdict", "status", "reason"), [
    (Verdict.PASSED, "not_needed", None),
    (Verdict.ABORTED, "not_judged", _not_judged("ABORTED")),
    (Verdict.NOT_TESTED, "not_judged", _not_judged("NOT_TESTED")),
    (Verdict.NOT_APPLICABLE, "not_needed", None),
    (Verdict.WAIVED, "not_needed", None),
])
def test_a_waiver_never_changes_a_requirement_that_did_not_fail(verdict: Verdict, status: str, reason: dict[str, str] | None) -> None:
    rows = _rows(verdict)
    statuses = apply_waivers(rows, [WAIVER], "DPI Exemple", "2.3", dt.date(2026, 6, 1))
    assert rows[0]["verdict"] == str(verdict)
    assert "waiver" not in rows[0] and rows[0]["reasons"] == []
    assert [(s["status"], s.get("reason")) for s in statuses] == [(status, reason)]


@pytest.mark.parametrize(("rows", "reason"), [
    ([], {"fr": "exigence hors des profils sélectionnés pour cette exécution",
          "en": "requirement not in the profiles selected for this run"}),
    ([{"id": "REQ-1", "level": "MUST", "verdict": "FAILED", "reasons": [], "in_scope": False}],
     {"fr": "exigence hors de la portée déclarée", "en": "requirement outside the declared scope"}),
])
def test_a_waiver_of_a_requirement_not_in_the_run_says_why(rows: list[dict[str, Any]], reason: dict[str, str]) -> None:
    statuses = apply_waivers(rows, [WAIVER], "DPI Exemple", "2.3", dt.date(2026, 6, 1))
    assert [(s["status"], s["reason"]) for s in statuses] == [("not_in_run", reason)]
    assert all(row["verdict"] == "FAILED" and "waiver" not in row for row in rows)


def test_on_its_last_valid_day_the_waiver_applies() -> None:
    rows = _rows(Verdict.FAILED)
    statuses = apply_waivers(rows, [WAIVER], "DPI Exemple", "2.3", EXPIRES)
    assert rows[0]["verdict"] == "WAIVED"
    assert [s["status"] for s in statuses] == ["applied"]


def test_the_day_after_its_last_valid_day_the_waiver_is_expired_and_says_so() -> None:
    rows = _rows(Verdict.FAILED)
    statuses = apply_waivers(rows, [WAIVER], "DPI Exemple", "2.3", EXPIRES + dt.timedelta(days=1))
    assert rows[0]["verdict"] == "FAILED" and "waiver" not in rows[0]
    assert rows[0]["waiver_expired"]["expires"] == "2026-12-31"
    assert "waiver expired on 2026-12-31, ignored" in rows[0]["reasons"][0]["reason"]
    assert rows[0]["reasons"][0]["verdict"] == "FAILED"
    assert [s["status"] for s in statuses] == ["expired"]


def test_an_expired_waiver_of_a_passed_requirement_leaves_it_untouched() -> None:
    rows = _rows(Verdict.PASSED)
    statuses = apply_waivers(rows, [WAIVER], "DPI Exemple", "2.3", EXPIRES + dt.timedelta(days=1))
    assert rows[0] == {"id": "REQ-1", "level": "MUST", "verdict": "PASSED", "reasons": []}
    assert [s["status"] for s in statuses] == ["expired"]


@pytest.mark.parametrize(("name", "version", "applies"), [
    ("DPI Exemple", "2.3", True),
    ("DPI Exemple", "2.4", False),
    ("DPI Autre", "2.3", False),
])
def test_a_waiver_for_a_version_covers_that_candidate_and_version_only(name: str, version: str, applies: bool) -> None:
    waiver = Waiver("REQ-1", "DPI Exemple", "accepté", "ARS Exemple", EXPIRES, version="2.3")
    rows = _rows(Verdict.FAILED)
    statuses = apply_waivers(rows, [waiver], name, version, dt.date(2026, 6, 1))
    assert rows[0]["verdict"] == ("WAIVED" if applies else "FAILED")
    assert ("applied" in [s["status"] for s in statuses]) is applies


def test_a_waiver_without_version_covers_every_version_of_its_candidate() -> None:
    for version in ("1.0", "9.9"):
        rows = _rows(Verdict.FAILED)
        apply_waivers(rows, [WAIVER], "DPI Exemple", version, dt.date(2026, 6, 1))
        assert rows[0]["verdict"] == "WAIVED"


def test_a_waiver_for_a_requirement_outside_the_run_changes_nothing() -> None:
    rows = _rows(Verdict.FAILED)
    other = Waiver("REQ-9", "DPI Exemple", "accepté", "ARS Exemple", EXPIRES)
    statuses = apply_waivers(rows, [other], "DPI Exemple", "2.3", dt.date(2026, 6, 1))
    assert "applied" not in [s["status"] for s in statuses]
    assert [r["verdict"] for r in rows] == ["FAILED", "FAILED"]


def test_two_waivers_of_one_requirement_apply_once() -> None:
    rows = _rows(Verdict.FAILED)
    statuses = apply_waivers(rows, [WAIVER, WAIVER], "DPI Exemple", "2.3", dt.date(2026, 6, 1))
    assert rows[0]["verdict"] == "WAIVED" and len(rows[0]["reasons"]) == 1
    assert [s["status"] for s in statuses] == ["applied", "not_needed"]


def test_a_waiver_of_another_candidate_does_not_hide_the_next_one() -> None:
    rows = _rows(Verdict.FAILED)
    other = Waiver("REQ-1", "DPI Autre", "accepté", "ARS Exemple", EXPIRES)
    outside = Waiver("REQ-9", "DPI Exemple", "accepté", "ARS Exemple", EXPIRES)
    statuses = apply_waivers(rows, [other, outside, WAIVER], "DPI Exemple", "2.3", dt.date(2026, 6, 1))
    assert rows[0]["verdict"] == "WAIVED"
    applied = [(s["requirement"], s["candidate"], s["status"]) for s in statuses if s["status"] == "applied"]
    assert applied == [("REQ-1", "DPI Exemple", "applied")]


@pytest.mark.parametrize(("on", "verdict"), [(dt.date(2026, 6, 1), "WAIVED"), (EXPIRES + dt.timedelta(days=1), "FAILED")])
def test_rows_without_reasons_get_the_waivers_reason(on: dt.date, verdict: str) -> None:
    rows = [{"id": "REQ-1", "level": "MUST", "verdict": "FAILED"}]
    apply_waivers(rows, [WAIVER], "DPI Exemple", "2.3", on)
    assert rows[0]["verdict"] == verdict
    assert [r["test"] for r in rows[0]["reasons"]] == ["waivers"]


@pytest.mark.parametrize(("on", "verdict"), [(dt.date(2026, 6, 1), "WAIVED"), (EXPIRES + dt.timedelta(days=1), "FAILED")])
def test_the_waivers_reason_comes_first_with_the_verdict_it_explains(on: dt.date, verdict: str) -> None:
    test_reason = {"test": "suite::test_one", "verdict": "FAILED", "reason": "missing element"}
    rows = [{"id": "REQ-1", "level": "MUST", "verdict": "FAILED", "reasons": [test_reason]}]
    apply_waivers(rows, [WAIVER], "DPI Exemple", "2.3", on)
    first, second = rows[0]["reasons"]
    assert (first["test"], first["verdict"], second) == ("waivers", verdict, test_reason)
    assert ("accepté jusqu'à la v3" if verdict == "WAIVED" else "waiver expired on 2026-12-31") in first["reason"]
