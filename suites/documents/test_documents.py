"""Each document or message given to the run is validated against the selected profile packs.

The artefact's findings give a verdict to every requirement its validator evaluated; the test
itself fails when the artefact FAILED (an error finding), like the agency's validators.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.core.findings import Severity
from harness.core.verdicts import ArtefactVerdict
from harness.run.recorder import Recorder
from harness.validation.dispatch import ValidationContext, validate_file


def test_document(document: Path, enrs: Recorder, validation_context: ValidationContext, pytestconfig: pytest.Config) -> None:
    report = validate_file(document, validation_context)
    enrs.artefact_report(report, display_name=document.name)
    if report.verdict is ArtefactVerdict.ABORTED:
        enrs.abort(report.reason or "")
    errors = [f for f in report.all_findings() if f.severity is Severity.ERROR]
    assert not errors, "; ".join(f"{f.requirement} {f.location or ''}: {f.message(pytestconfig.option.enrs_lang)}" for f in errors[:5])
