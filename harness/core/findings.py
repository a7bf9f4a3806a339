"""What validators report: findings and per-artefact reports, shared by every validator."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from harness.core.i18n import Text
from harness.core.verdicts import ArtefactVerdict


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
    not_listed: int = 0  # on a summary finding ("… and N more"): the N findings it stands for


    @property
    def text(self) -> Text:
        """The message as the one bilingual type (built from the two strings a finding is given)."""
        return Text(self.message_fr, self.message_en)

    def message(self, lang: str = "fr") -> str:
        return self.text.get(lang)

    def to_dict(self) -> dict[str, Any]:
        return {
            "requirement": self.requirement,
            "severity": str(self.severity),
            "location": self.location,
            "line": self.line,
            "message": self.text.to_dict(),
        }


MAX_FINDINGS_PER_REQUIREMENT = 100  # beyond this, one summary finding counts the rest of the requirement
MAX_FINDINGS_PER_ARTEFACT = 1000  # and beyond this, of the artefact: output stays bounded whatever the input
_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


class CappedFindings(list[Finding]):
    """A list of findings that keeps at most `per_requirement` per requirement and `total` in all.

    The findings beyond are counted, not kept (memory stays bounded while a validator runs);
    `closed()` gives the kept ones followed by one summary finding per requirement with its count
    and the most severe severity it hid, so a verdict never changes by being capped.
    """

    def __init__(self, findings: Iterable[Finding] = (), per_requirement: int = MAX_FINDINGS_PER_REQUIREMENT,
                 total: int = MAX_FINDINGS_PER_ARTEFACT) -> None:
        super().__init__()
        self.per_requirement, self.total = per_requirement, total
        self.kept: Counter[str] = Counter()
        self.hidden: Counter[str] = Counter()
        self.hidden_severity: dict[str, Severity] = {}
        self.extend(findings)

    def append(self, finding: Finding) -> None:
        requirement = finding.requirement
        if finding.not_listed:  # a validator's own summary: its count joins ours (one summary per requirement)
            self._hide(finding, finding.not_listed)
            return
        if self.kept[requirement] < self.per_requirement and len(self) < self.total:
            self.kept[requirement] += 1
            super().append(finding)
            return
        self._hide(finding, 1)

    def _hide(self, finding: Finding, count: int) -> None:
        requirement = finding.requirement
        self.hidden[requirement] += count
        worst = self.hidden_severity.get(requirement, Severity.INFO)
        self.hidden_severity[requirement] = finding.severity if _RANK[finding.severity] > _RANK[worst] else worst

    def extend(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self.append(finding)

    def __iadd__(self, findings: Iterable[Finding]) -> CappedFindings:  # type: ignore[override,misc]  # in-place add returns the capped list, not a plain list
        self.extend(findings)
        return self

    def closed(self) -> list[Finding]:
        summaries = [Finding(requirement, self.hidden_severity[requirement],
                             f"… et {count} autre(s) constat(s) non listé(s) pour {requirement}",
                             f"… and {count} more finding(s) not listed for {requirement}", not_listed=count)
                     for requirement, count in self.hidden.items()]
        return list(self) + summaries

    @property
    def not_listed(self) -> int:
        return sum(self.hidden.values())


def cap_findings(findings: list[Finding]) -> tuple[list[Finding], int]:
    """The findings capped per requirement and per artefact, with how many were left out."""
    if isinstance(findings, CappedFindings):
        return findings.closed(), findings.not_listed
    if len(findings) <= MAX_FINDINGS_PER_REQUIREMENT and not any(f.not_listed for f in findings):
        return findings, 0
    capped = CappedFindings(findings)
    return capped.closed(), capped.not_listed


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
    findings_not_listed: int = 0  # findings left out by the cap (their count is in a summary finding too)

    def cap(self) -> ArtefactReport:
        """Apply the findings cap to this report and its children (the validators' common path does it)."""
        self.findings, not_listed = cap_findings(self.findings)
        self.findings_not_listed += not_listed
        for child in self.children:
            child.cap()
        return self

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

    def to_dict(self, evaluated: bool = True) -> dict[str, Any]:
        """As JSON data; without `evaluated`, the list of requirements evaluated is left out (here and in the children)."""
        data = {
            "path": self.path,
            "sha256": self.sha256,
            "size": self.size,
            "kind": self.kind,
            "profile": self.profile,
            "version": self.version,
            "verdict": str(self.verdict),
            "reason": self.reason,
            "findings": [f.to_dict() for f in self.findings],
            "findings_not_listed": self.findings_not_listed,
        }
        if evaluated:
            data["evaluated"] = sorted(set(self.evaluated))
        data["children"] = [c.to_dict(evaluated) for c in self.children]
        return data
