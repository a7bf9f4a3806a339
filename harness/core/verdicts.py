"""Verdicts of requirements and artefacts, and how test outcomes aggregate into them."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Verdict(StrEnum):
    """Verdict of one requirement over a run."""

    PASSED = "PASSED"
    FAILED = "FAILED"
    ABORTED = "ABORTED"  # could not be evaluated: unreachable endpoint, unreadable input
    NOT_APPLICABLE = "NOT_APPLICABLE"
    NOT_TESTED = "NOT_TESTED"  # nothing evaluated it
    WAIVED = "WAIVED"  # FAILED, covered by a valid waiver


# The first verdict of this list found among the contributions wins.
_PRECEDENCE = (Verdict.FAILED, Verdict.ABORTED, Verdict.PASSED, Verdict.NOT_APPLICABLE)


def aggregate(contributions: Iterable[Verdict]) -> Verdict:
    """One requirement's verdict from the verdicts its tests gave it.

    Any FAILED makes it FAILED; otherwise any ABORTED makes it ABORTED (it could not be fully
    evaluated); otherwise any PASSED makes it PASSED; NOT_APPLICABLE only when every test said so;
    NOT_TESTED when nothing evaluated it.
    """
    seen = set(contributions)
    for verdict in _PRECEDENCE:
        if verdict in seen:
            return verdict
    return Verdict.NOT_TESTED


class ArtefactVerdict(StrEnum):
    """Verdict of one validated artefact, as the agency's validators (Gazelle EVS) say it."""

    PASSED = "PASSED"
    FAILED = "FAILED"
    ABORTED = "ABORTED"


def verdict_counts(verdicts: Iterable[str]) -> dict[str, int]:
    """How many of each verdict: every verdict named, zeros included, in the order of `Verdict` (results.json's
    summary, the report, the certificate, campaigns: counted here only)."""
    counts = {str(v): 0 for v in Verdict}
    for verdict in verdicts:
        counts[str(verdict)] += 1
    return counts
