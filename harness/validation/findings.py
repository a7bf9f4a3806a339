"""Moved to harness.core.findings (issue 17: cda, hl7v2 and cdakit report findings without importing validation).

Kept only so that code written before the move still imports; new code imports harness.core.findings.
"""

from harness.core.findings import ArtefactReport, CappedFindings, Finding, Severity

__all__ = ["ArtefactReport", "CappedFindings", "Finding", "Severity"]
