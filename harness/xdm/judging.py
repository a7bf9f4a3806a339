"""What the XDM and MSSanté validators share: findings whose severity is their requirement's level."""

from __future__ import annotations

from typing import Any

from harness.core.fileio import sha256_hex
from harness.core.findings import ArtefactReport, Finding, Severity
from harness.core.verdicts import ArtefactVerdict

_SEVERITY = {"MUST": Severity.ERROR, "SHOULD": Severity.WARNING, "MAY": Severity.INFO}


class Judgement:
    """The findings and evaluated requirements of one artefact, the severity taken from the packs."""

    def __init__(self, context: Any) -> None:
        self.requirements = context.registry.requirements
        self.findings: list[Finding] = []
        self.evaluated: list[str] = []

    def evaluate(self, *requirements: str) -> None:
        self.evaluated.extend(r for r in requirements if r not in self.evaluated)

    def fail(self, requirement: str, fr: str, en: str, location: str | None = None) -> None:
        """A violation of `requirement` (evaluated by this very call): an error for a MUST, a warning for a SHOULD."""
        self.evaluate(requirement)
        known = self.requirements.get(requirement)
        severity = _SEVERITY.get(known.level, Severity.ERROR) if known else Severity.ERROR
        self.findings.append(Finding(requirement, severity, fr, en, location))

    def note(self, requirement: str, fr: str, en: str, location: str | None = None) -> None:
        """Worth knowing, fails nothing (e.g. why a requirement could not be evaluated here)."""
        self.findings.append(Finding(requirement, Severity.INFO, fr, en, location))

    def report(self, data: bytes, path: str, kind: str) -> ArtefactReport:
        return ArtefactReport(path=path, sha256=sha256_hex(data), size=len(data), kind=kind,
                              verdict=ArtefactReport.verdict_of(self.findings), findings=self.findings,
                              evaluated=list(self.evaluated))


def aborted_report(data: bytes, path: str, kind: str, fr: str, en: str, judgement: Judgement | None = None) -> ArtefactReport:
    """ABORTED with its reason; the findings and evaluations made before stopping are kept."""
    report = ArtefactReport(path=path, sha256=sha256_hex(data), size=len(data), kind=kind, verdict=ArtefactVerdict.ABORTED,
                            reason=f"{fr} / {en}")
    if judgement is not None:
        report.findings, report.evaluated = judgement.findings, list(judgement.evaluated)
    return report


def pack_missing(context: Any, pack_id: str) -> tuple[str, str] | None:
    """Why a validator cannot judge: its pack is not loaded or not selected (None when it is)."""
    if context.pack(pack_id) is not None:
        return None
    return (f"profil {pack_id} non chargé ou non sélectionné", f"profile {pack_id} not loaded or not selected")
