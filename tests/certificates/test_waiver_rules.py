"""The rules of waivers (harness/run/waivers.py, docs/campaigns.md): the expiry boundary, never over a
requirement nobody judged, and never silent when a waiver matches nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from harness.run.waivers import APPLIED, EXPIRED, NOT_IN_RUN, NOT_JUDGED, NOT_NEEDED, Waiver, apply_waivers, other_candidates, unmatched

EXPIRES = dt.date(2026, 12, 31)


def waiver(requirement: str = "REQ-1", candidate: str = "DPI", version: str | None = None) -> Waiver:
    return Waiver(requirement, candidate, "accepted until 3.0", "ARS Exemple", EXPIRES, version)


def row(verdict: str, requirement: str = "REQ-1", **extra: Any) -> dict[str, Any]:
    return {"id": requirement, "verdict": verdict, "reasons": [], **extra}


def apply(rows: list[dict[str, Any]], waivers: list[Waiver], on: dt.date = EXPIRES) -> list[dict[str, Any]]:
    return apply_waivers(rows, waivers, "DPI", "2.0", on)


def test_a_waiver_is_valid_on_its_last_day() -> None:
    rows = [row("FAILED")]
    assert [w["status"] for w in apply(rows, [waiver()], on=EXPIRES)] == [APPLIED]
    assert rows[0]["verdict"] == "WAIVED"


def test_a_waiver_has_expired_the_day_after() -> None:
    rows = [row("FAILED")]
    assert [w["status"] for w in apply(rows, [waiver()], on=EXPIRES + dt.timedelta(days=1))] == [EXPIRED]
    assert rows[0]["verdict"] == "FAILED" and "waiver expired on 2026-12-31, ignored" in rows[0]["reasons"][0]["reason"]


@pytest.mark.parametrize("verdict", ["ABORTED", "NOT_TESTED"])
def test_a_waiver_never_covers_a_requirement_nobody_judged(verdict: str) -> None:
    rows = [row(verdict)]
    [status] = apply(rows, [waiver()])
    assert rows[0]["verdict"] == verdict and "waiver" not in rows[0]
    assert (status["status"] == NOT_JUDGED
            and status["reason"]["en"] == f"the requirement was not judged ({verdict}): a waiver covers a failure only")


def test_a_waiver_for_a_passed_requirement_is_not_needed() -> None:
    assert [w["status"] for w in apply([row("PASSED")], [waiver()])] == [NOT_NEEDED]


def test_a_waiver_for_a_requirement_not_in_the_run_or_outside_the_scope_is_reported() -> None:
    rows = [row("NOT_APPLICABLE", "REQ-2", in_scope=False)]
    statuses = apply(rows, [waiver("REQ-1"), waiver("REQ-2")])
    assert [(w["requirement"], w["status"], w["reason"]["en"]) for w in statuses] == [
        ("REQ-1", NOT_IN_RUN, "requirement not in the profiles selected for this run"),
        ("REQ-2", NOT_IN_RUN, "requirement outside the declared scope"),
    ]
    assert rows[0]["verdict"] == "NOT_APPLICABLE"


def test_waivers_of_other_candidates_are_counted() -> None:
    waivers = [waiver(), waiver(candidate="Autre"), waiver(version="9.9")]
    assert len(apply([row("FAILED")], waivers)) == 1
    assert other_candidates(waivers, "DPI", "2.0") == 2


def test_campaign_waivers_naming_an_absent_candidate_or_requirement_are_listed() -> None:
    waivers = [waiver("REQ-1", "DPI"), waiver("REQ-1", "DPI Typo"), waiver("REQ-9", "DPI"), waiver("REQ-9", "Aborted")]
    problems = unmatched(waivers, {"DPI": {"REQ-1", "REQ-2"}, "Aborted": set()})  # a candidate without results: its name only is checked
    assert [(p["candidate"], p["requirement"], p["reason"]["en"]) for p in problems] == [
        ("DPI Typo", "REQ-1", "no candidate 'DPI Typo' in the campaign"),
        ("DPI", "REQ-9", "requirement REQ-9 is not in this candidate's profiles"),
    ]


def test_the_certificate_shows_a_waiver_that_was_not_applied_and_why(signed_run) -> None:
    from harness.certificates.page import certificate_payload, render_certificate

    results = signed_run.results()
    results["waivers"] = [{**waiver().to_dict(), "status": NOT_JUDGED}, {**waiver("REQ-2").to_dict(), "status": NOT_NEEDED}]
    assert [w["status"] for w in certificate_payload(results)["waivers"]] == [NOT_JUDGED]  # signed with the rest
    page = render_certificate(results, "en")
    assert "<tr data-requirement='REQ-1' data-status='not_judged'>" in page and "NOT APPLIED — requirement not judged" in page
    assert "data-requirement='REQ-2'" not in page
