from __future__ import annotations

import pytest

from harness.core.verdicts import Verdict, aggregate

P, F, A, N = Verdict.PASSED, Verdict.FAILED, Verdict.ABORTED, Verdict.NOT_APPLICABLE


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ([], Verdict.NOT_TESTED),
        ([P], P),
        ([P, P], P),
        ([P, F, A, N], F),
        ([P, A], A),
        ([A, N], A),
        ([N, P], P),
        ([N, N], N),
    ],
)
def test_aggregation(given: list[Verdict], expected: Verdict) -> None:
    assert aggregate(given) is expected
