"""What validators report: findings and per-artefact reports, shared by every validator."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from harness.verdicts import ArtefactVerdict


class Severity(StrEnum):
    ERROR = "error"  # breaks a MUST requirement: the artefact FAILS
    WARNING = "warning"  # breaks a SHOULD requirement: the requirement FAILS, the artefact does not
    INFO = "info"  # worth knowing; fails nothing


@dataclass(frozen=True)
class Finding:
    """One result of one rule on one artefact.

    `requirement` is the id of a requirement of a loaded profile pack; `location` is an XPath for
    XML artefacts or an HL7 location such as `PID-3[2].4.2`; `line` is 1-based when known.
    """

    requirement: str
    severity: Severity
    message_fr: str
    message_en: str
    location: str | None = None
    line: int | None = None

    def message(self, lang: str = "fr") -> str:
        return self.message_fr if lang == "fr" else self.message_en

    def to_dict(self) -> dict[str, Any]:
        return {
            "requirement": self.requirement,
            "severity": str(self.severity),
            "location": self.location,
            "line": self.line,
            "message": {"fr": self.message_fr, "en": self.message_en},
        }


@dataclass
class ArtefactReport:
    """The result of validating one artefact (a file, or a document embedded in a message).

    `evaluated` lists the requirement ids whose rules ran on this artefact: each is PASSED for it
    unless an error or warning finding names it. `children` holds the reports of artefacts carried
    inside this one (a CDA document in an HL7 v2 OBX segment).
    """

    path: str
    sha256: str
    kind: str | None
    verdict: ArtefactVerdict
    findings: list[Finding] = field(default_factory=list)
    evaluated: list[str] = field(default_factory=list)
    profile: str | None = None  # detected profile, e.g. the CDA volet or the HL7 v2 trigger event
    version: str | None = None
    size: int = 0
    reason: str | None = None  # why ABORTED
    children: list[ArtefactReport] = field(default_factory=list)

    @staticmethod
    def verdict_of(findings: list[Finding]) -> ArtefactVerdict:
        if any(f.severity is Severity.ERROR for f in findings):
            return ArtefactVerdict.FAILED
        return ArtefactVerdict.PASSED

    def all_findings(self) -> list[Finding]:
        found = list(self.findings)
        for child in self.children:
            found.extend(child.all_findings())
        return found

    def all_evaluated(self) -> list[str]:
        ids = list(self.evaluated)
        for child in self.children:
            ids.extend(child.all_evaluated())
        return ids

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "size": self.size,
            "kind": self.kind,
            "profile": self.profile,
            "version": self.version,
            "verdict": str(self.verdict),
            "reason": self.reason,
            "findings": [f.to_dict() for f in self.findings],
            "evaluated": sorted(set(self.evaluated)),
            "children": [c.to_dict() for c in self.children],
        }
