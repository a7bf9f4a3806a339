"""Each document or message given to the run is validated against the selected profile packs.

The artefact's findings give a verdict to every requirement its validator evaluated; the test
itself fails when the artefact FAILED (an error finding), like the agency's validators. The
per-document parametrisation is the plugin's public `enrs_document` fixture (harness.run.documents).
"""

from __future__ import annotations

import pytest

from harness.config.context import ValidationContext
from harness.core.findings import Severity
from harness.core.verdicts import ArtefactVerdict
from harness.run.documents import Document
from harness.run.recorder import Recorder


def test_document(enrs_document: Document, enrs: Recorder, enrs_validation: ValidationContext, pytestconfig: pytest.Config) -> None:
    report = enrs_document.validate(enrs_validation)
    enrs.artefact_report(report, display_name=enrs_document.path.name)
    if report.verdict is ArtefactVerdict.ABORTED:
        enrs.abort(report.reason or "")
    errors = [f for f in report.all_findings() if f.severity is Severity.ERROR]
    assert not errors, "; ".join(f"{f.requirement} {f.location or ''}: {f.message(pytestconfig.option.enrs_lang)}" for f in errors[:5])
