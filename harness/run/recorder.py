"""What one conformance test records: evidence, artefacts and requirement verdicts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from harness.config.packs import PackRegistry
from harness.core.fileio import sha256_hex
from harness.core.findings import ArtefactReport, Finding, Severity
from harness.core.verdicts import Verdict
from harness.run.outcomes import Aborted, NotApplicable

MAX_EVIDENCE_CHARS = 8000
_WITHOUT_REASON = {verdict: (verdict, None) for verdict in Verdict}


@dataclass
class Evidence:
    title: str
    content: Any  # text, or JSON-able data

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "content": self.content}


@dataclass
class ArtefactRecord:
    name: str
    sha256: str
    size: int
    kind: str | None = None
    verdict: str | None = None
    reason: str | None = None  # why ABORTED ("français / English")
    profile: str | None = None  # what was detected, e.g. the CDA volet

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": self.size, "kind": self.kind, "verdict": self.verdict,
                "reason": self.reason, "profile": self.profile}


@dataclass
class TestRecord:
    nodeid: str
    requirements: list[str]  # from @pytest.mark.requirement
    packs: list[str]  # from @pytest.mark.profile
    verdict: Verdict | None = None  # None: skipped without being judged (counts for nothing)
    reason: str | None = None
    duration: float = 0.0
    evidence: list[Evidence] = field(default_factory=list)
    artefacts: list[ArtefactRecord] = field(default_factory=list)
    explicit: dict[str, tuple[Verdict, str | None]] = field(default_factory=dict)
    finished: bool = False
    subject: tuple[str, str] | None = None  # ("artefact", path) or ("endpoint", name): what the test judged

    def finish(self, verdict: Verdict | None, reason: str | None, duration: float) -> None:
        self.verdict, self.reason, self.duration, self.finished = verdict, reason, duration, True

    def contributions(self) -> dict[str, tuple[Verdict, str | None]]:
        """The verdict this test gives each requirement it evaluated.

        Explicit verdicts stand, except that a test that ended ABORTED cannot have PASSED anything:
        what it did not record explicitly takes the test's own verdict.
        """
        given: dict[str, tuple[Verdict, str | None]] = {}
        if self.verdict is not None:
            for requirement_id in self.requirements:
                given[requirement_id] = (self.verdict, self.reason)
        for requirement_id, (verdict, reason) in self.explicit.items():
            if self.verdict is Verdict.ABORTED and verdict is Verdict.PASSED:
                continue
            given[requirement_id] = (verdict, reason)
        return given

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodeid": self.nodeid,
            "verdict": str(self.verdict) if self.verdict else "NOT_TESTED",
            "reason": self.reason,
            "duration": round(self.duration, 4),
            "requirements": sorted(set(self.requirements) | set(self.explicit)),
            "evidence": [e.to_dict() for e in self.evidence],
            "artefacts": [a.sha256 for a in self.artefacts],
        }


class Recorder:
    """The `enrs` fixture: what a test uses to leave evidence and verdicts."""

    def __init__(self, record: TestRecord, registry: PackRegistry, lang: str = "fr") -> None:
        self._record = record
        self._lang = lang
        self._registry = registry

    def evidence(self, title: str, content: Any) -> None:
        """Attach evidence (a text excerpt or JSON-able data); long texts cut.

        The target's secrets are `harness.config.target.Secret` objects: they show as *** in any text or data.
        """
        if isinstance(content, str):
            if len(content) > MAX_EVIDENCE_CHARS:
                content = content[:MAX_EVIDENCE_CHARS] + f"\n… [{len(content) - MAX_EVIDENCE_CHARS} caractères coupés / characters cut]"
        else:
            content = json.loads(json.dumps(content, default=str, ensure_ascii=False))  # a Secret becomes ***
        self._record.evidence.append(Evidence(str(title), content))

    def exchange(self, title: str, request: bytes | str, response: bytes | str | None) -> None:
        """Attach a request/response excerpt."""
        self.evidence(title, {"request": _excerpt(request), "response": _excerpt(response) if response is not None else None})

    def artefact(self, name: str, data: bytes | None = None, path: Path | None = None,
                 kind: str | None = None, verdict: str | None = None) -> str:
        """Record a tested artefact and return its SHA-256."""
        if data is None:
            if path is None:
                raise ValueError("artefact() needs data or path")
            data = Path(path).read_bytes()
        digest = sha256_hex(data)
        self._record.artefacts.append(ArtefactRecord(name, digest, len(data), kind, verdict))
        return digest

    def requirement(self, requirement_id: str, verdict: Verdict, reason: str | None = None) -> None:
        """Give a requirement an explicit verdict (for tests that evaluate many requirements at once)."""
        if requirement_id not in self._registry.requirements:
            raise KeyError(f"unknown requirement: {requirement_id}")
        current = self._record.explicit.get(requirement_id)
        if current is not None and current[0] is Verdict.FAILED:
            return  # a failure is never overwritten by a later verdict
        # one shared (verdict, None) per verdict: a run holds one per requirement per document
        self._record.explicit[requirement_id] = (verdict, str(reason)) if reason else _WITHOUT_REASON[verdict]

    def artefact_report(self, report: ArtefactReport, display_name: str | None = None) -> None:
        """Record a validated artefact: its hash, its findings as evidence and a verdict for each requirement its rules evaluated."""
        name = display_name or report.path
        self._record.artefacts.append(ArtefactRecord(name, report.sha256, report.size, report.kind, str(report.verdict),
                                                     report.reason, report.profile))
        # A validator's report is JSON-native text and numbers (no Secret): kept as is, without evidence()'s
        # scrubbing JSON round trip (a tenth of the run's own cost per document)
        # Its findings, without the list of requirements evaluated: the requirement verdicts already say it, and it
        # would make up most of results.json
        self._record.evidence.append(Evidence(f"{name} — {report.verdict}", report.to_dict(evaluated=False)))
        failing: dict[str, list[Finding]] = {}
        for finding in report.all_findings():
            if finding.severity in (Severity.ERROR, Severity.WARNING) and finding.requirement in self._registry.requirements:
                failing.setdefault(finding.requirement, []).append(finding)
        for requirement_id, findings in failing.items():
            self.requirement(requirement_id, Verdict.FAILED, "; ".join(f.message(self._lang) for f in findings[:3]))
        # what requirement() does for each of the ~100 requirements a document's rules passed, inline
        explicit, known, passed = self._record.explicit, self._registry.requirements, _WITHOUT_REASON[Verdict.PASSED]
        for requirement_id in report.all_evaluated():
            if requirement_id not in failing and requirement_id in known:
                current = explicit.get(requirement_id)
                if current is None or current[0] is not Verdict.FAILED:  # a failure is never overwritten
                    explicit[requirement_id] = passed

    def abort(self, reason: str) -> NoReturn:
        raise Aborted(str(reason))

    def not_applicable(self, reason: str) -> NoReturn:
        raise NotApplicable(str(reason))


def _excerpt(value: bytes | str, limit: int = 2000) -> str:
    text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value
    return text if len(text) <= limit else text[:limit] + f"… [{len(text) - limit} more]"
