"""The typed results model (harness/core/results.py) read back from a run's own results.json, the one place
verdicts are counted, and the one bilingual text type."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.core.errors import HarnessError
from harness.core.findings import Finding, Severity
from harness.core.i18n import Text
from harness.core.results import Results, failures
from harness.core.verdicts import Verdict, verdict_counts

from ..conftest import run_trust_suite

SUITE = """
import pytest

@pytest.mark.requirement("TRUST-MUST-1")
def test_one():
    pass

@pytest.mark.requirement("TRUST-SHOULD-1")
def test_should():
    assert False, "en-tête recommandé absent / recommended header missing"
"""


def test_a_runs_results_read_as_typed_values(pytester: pytest.Pytester, trust_packs: Path) -> None:
    data = run_trust_suite(pytester, trust_packs, SUITE)
    results = Results.from_dict(data)
    assert (results.run.id, results.run.status, results.run.complete) == (data["run"]["id"], "complete", True)
    assert (results.candidate.name, results.candidate.version) == ("DPI Confiance", "1.0")
    assert [p.id for p in results.profiles] == ["trust"]
    assert {r.id: (r.level, r.verdict) for r in results.requirements} == {
        "TRUST-MUST-1": ("MUST", "PASSED"), "TRUST-MUST-2": ("MUST", "NOT_TESTED"), "TRUST-SHOULD-1": ("SHOULD", "FAILED")}
    assert results.summary.verdicts == data["summary"]["verdicts"] == verdict_counts(r.verdict for r in results.requirements)
    assert (failures(results.requirements, "MUST"), failures(results.requirements, "SHOULD")) == (0, 1)
    assert results.summary.failed_should == 1 and results.summary.certificate_issued is False
    assert [b["id"] for b in results.blocking or []] == ["TRUST-MUST-2"]


def test_a_partial_or_newer_results_file_is_read() -> None:
    results = Results.from_dict({"run": {"id": "r", "complete": True, "added_later": 1}, "summary": {"blocking": []}})
    assert (results.run.id, results.candidate.name, results.requirements, results.blocking) == ("r", "", [], None)


def test_verdicts_are_counted_each_one_named() -> None:
    assert verdict_counts([]) == {str(v): 0 for v in Verdict}
    assert list(verdict_counts([])) == [str(v) for v in Verdict]
    counts = verdict_counts(["FAILED", "PASSED", "FAILED", Verdict.WAIVED])
    assert {k: v for k, v in counts.items() if v} == {"PASSED": 1, "FAILED": 2, "WAIVED": 1}
    with pytest.raises(KeyError):
        verdict_counts(["MAYBE"])


def test_findings_and_errors_speak_through_the_one_text_type() -> None:
    finding = Finding("SM-ID", Severity.ERROR, message_fr="id absent", message_en="id missing")
    assert finding.text == Text("id absent", "id missing") and finding.message("en") == "id missing"
    assert finding.to_dict()["message"] == {"fr": "id absent", "en": "id missing"}
    error = HarnessError("fichier introuvable", "file not found")
    assert (error.text, error.message("fr"), str(error)) == (Text("fichier introuvable", "file not found"), "fichier introuvable",
                                                             "file not found")
    assert HarnessError("même texte").text == Text("même texte", "même texte")
