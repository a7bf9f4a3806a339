"""Findings are capped per requirement and per artefact, with the count of the rest in every output (issue 18 item 1)."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

from harness.core.findings import (
    MAX_FINDINGS_PER_ARTEFACT,
    MAX_FINDINGS_PER_REQUIREMENT,
    ArtefactReport,
    CappedFindings,
    Finding,
    Severity,
)
from harness.core.resources import bundled_dir
from harness.core.verdicts import ArtefactVerdict
from harness.validation.dispatch import validate_bytes

from ..conftest import run_cli

LINES = 100_000  # 200 KB of 2-byte invalid lines: enough to prove the cap, fast enough for a unit test


def two_byte_lines(count: int = LINES) -> bytes:
    msh = (bundled_dir("fixtures") / "conforming" / "hl7v2" / "adt-a01.hl7").read_bytes().split(b"\r")[0] + b"\r"
    return msh + b"X\r" * count


def test_hl7_findings_are_capped_with_the_count_of_the_rest_and_memory_stays_bounded(context):
    data = two_byte_lines()
    tracemalloc.start()
    report = validate_bytes(data, "junk.hl7", context)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert report.verdict is ArtefactVerdict.FAILED
    syn = [f for f in report.findings if f.requirement == "HL7V2-SYN-03"]
    assert len(syn) == MAX_FINDINGS_PER_REQUIREMENT + 1
    assert f"and {LINES - MAX_FINDINGS_PER_REQUIREMENT} more finding(s)" in syn[-1].message_en
    assert report.findings_not_listed == LINES - MAX_FINDINGS_PER_REQUIREMENT
    assert peak < 20 * 1024 * 1024, peak  # 100,000 kept findings would take several times this
    assert len(json.dumps(report.to_dict())) < 100_000


def test_the_cap_never_changes_a_verdict_and_counts_per_requirement():
    findings = CappedFindings(per_requirement=2, total=3)
    findings += [Finding("A", Severity.INFO, "a", "a")] * 5
    findings += [Finding("B", Severity.WARNING, "b", "b")] * 2
    findings.append(Finding("B", Severity.ERROR, "b", "b"))  # hidden by the total cap: its severity must survive
    closed = findings.closed()
    assert [f.requirement for f in closed] == ["A", "A", "B", "A", "B"]
    assert closed[-1].severity is Severity.ERROR and "2 more" in closed[-1].message_en
    assert ArtefactReport.verdict_of(closed) is ArtefactVerdict.FAILED
    assert findings.not_listed == 5


def test_every_validator_output_is_capped_through_the_common_path(context, conforming_cda):
    # a CDA whose body repeats one broken element: the CDA engine's findings go through the same cap
    report = ArtefactReport("x", "", "cda", ArtefactVerdict.FAILED,
                            findings=[Finding(f"R{i % 3}", Severity.ERROR, "m", "m") for i in range(5000)])
    report.cap()
    assert len(report.findings) == 3 * (MAX_FINDINGS_PER_REQUIREMENT + 1)
    assert report.findings_not_listed == 5000 - 3 * MAX_FINDINGS_PER_REQUIREMENT
    many = ArtefactReport("x", "", "cda", ArtefactVerdict.FAILED,
                          findings=[Finding(f"R{i}", Severity.ERROR, "m", "m") for i in range(MAX_FINDINGS_PER_ARTEFACT + 50)])
    many.cap()
    assert len(many.findings) == MAX_FINDINGS_PER_ARTEFACT + 50 and many.findings_not_listed == 50


def test_text_and_json_outputs_carry_the_count(tmp_path: Path):
    path = tmp_path / "junk.hl7"
    path.write_bytes(two_byte_lines(20_000))
    shown = run_cli("validate", "--lang", "en", str(path))
    assert "and 19900 more finding(s)" in shown.stdout
    as_json = run_cli("validate", "--format", "json", "--lang", "en", str(path))
    assert len(as_json.stdout) < 100_000
    data = json.loads(as_json.stdout)
    text = json.dumps(data)
    assert '"findings_not_listed": 19900' in text


def test_a_validators_own_summary_joins_the_shared_one():
    report = ArtefactReport("x", "", "cda", ArtefactVerdict.FAILED,
                            findings=[Finding("R", Severity.ERROR, "m", "m")] * 100
                            + [Finding("R", Severity.ERROR, "… 7", "… 7", not_listed=7)])
    report.cap()
    summaries = [f for f in report.findings if f.not_listed]
    assert len(report.findings) == 101 and [f.message_en for f in summaries] == ["… and 7 more finding(s) not listed for R"]
    assert report.findings_not_listed == 7


def test_a_report_as_evidence_is_its_json_data_without_the_requirements_evaluated_at_any_depth() -> None:
    finding = Finding("CDA-ROOT", Severity.ERROR, "racine", "root", "/ClinicalDocument", 1)
    child = ArtefactReport("obx-5", "ab" * 32, "cda", ArtefactVerdict.FAILED, [finding], ["CDA-ROOT", "CDA-BODY"], "VSM")
    report = ArtefactReport("message.hl7", "cd" * 32, "hl7v2", ArtefactVerdict.FAILED, [], ["HL7-MSH"], children=[child])
    full, evidence = report.to_dict(), report.to_dict(evaluated=False)
    assert full["evaluated"] == ["HL7-MSH"] and full["children"][0]["evaluated"] == ["CDA-BODY", "CDA-ROOT"]

    def without(data: dict[str, Any]) -> dict[str, Any]:
        return {**{k: v for k, v in data.items() if k != "evaluated"}, "children": [without(c) for c in data["children"]]}

    assert json.dumps(evidence) == json.dumps(without(full))  # the same keys in the same order (results.json's bytes)
