"""Shared fixtures of the HL7 v2 tests: the packs' validation context and the message builders."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.findings import ArtefactReport, Severity
from harness.validation.dispatch import validate_bytes


@pytest.fixture(scope="session")
def context() -> ValidationContext:
    return ValidationContext(registry=PackRegistry.load())


def failing(report: ArtefactReport, severities=(Severity.ERROR, Severity.WARNING)) -> set[str]:
    """Requirement ids with an error or warning finding (the message's own, not the nested CDA's)."""
    return {f.requirement for f in report.findings if f.severity in severities}


def check(text: str | bytes, context: ValidationContext, path: str = "message.hl7") -> ArtefactReport:
    return validate_bytes(text.encode("utf-8") if isinstance(text, str) else text, path, context, kind="hl7v2")
