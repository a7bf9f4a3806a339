"""results.json as typed values (harness/schemas/results.schema.json, docs/results.md), for its readers: the
certificate page, the run summary, campaigns and their dashboard read these fields instead of digging in dicts.

`Results.from_dict` reads a results.json written by the run folder; a missing field reads as empty (a partial file
of an older run, or one a test writes by hand); the parts no reader needs field by field (tests, artefacts, scope,
ignored files) stay as written.
Verdict counts are computed in one place: `verdict_counts` (harness/core/verdicts.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from harness.core.verdicts import verdict_counts as verdict_counts  # re-exported: the readers' one place


def _known(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of `cls` found in `data` (a newer results.json may hold more)."""
    return {f.name: data[f.name] for f in fields(cls) if f.name in data}


@dataclass(frozen=True)
class RunInfo:
    id: str = ""
    status: str = ""  # running, complete, interrupted
    complete: bool = False
    incomplete_reason: str | None = None
    started: str = ""
    finished: str | None = None
    harness_version: str = ""
    lang: str = ""
    pytest_exit_status: int | None = None
    platform: dict[str, Any] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)
    kit: dict[str, Any] | None = None


@dataclass(frozen=True)
class CandidateInfo:
    name: str = ""
    vendor: str = ""
    version: str = ""
    embedded: bool = False


@dataclass(frozen=True)
class ProfileInfo:
    id: str = ""
    version: str = ""
    framework: str = ""
    title: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RequirementRow:
    id: str = ""
    pack: str = ""
    pack_version: str = ""
    level: str = ""  # MUST, SHOULD, MAY
    verdict: str = ""
    statement: dict[str, str] = field(default_factory=dict)
    section: str = ""
    reasons: list[dict[str, Any]] = field(default_factory=list)
    reason: dict[str, str] | None = None  # why NOT_TESTED or NOT_APPLICABLE


@dataclass(frozen=True)
class WaiverRow:
    requirement: str = ""
    candidate: str = ""
    justification: str = ""
    approver: str = ""
    expires: str = ""
    status: str = ""  # applied, expired, not_needed, not_judged, not_in_run
    reason: dict[str, str] | None = None


@dataclass(frozen=True)
class Summary:
    verdicts: dict[str, int] = field(default_factory=dict)
    failed_must: int = 0
    failed_should: int = 0
    blocking: list[str] = field(default_factory=list)  # the MUST requirements that block
    certificate_issued: bool = False
    blocking_count: int | None = None  # every blocking item: requirements, artefacts, endpoint checks
    ignored_count: int | None = None


@dataclass(frozen=True)
class Results:
    run: RunInfo
    candidate: CandidateInfo
    profiles: list[ProfileInfo]
    requirements: list[RequirementRow]
    summary: Summary
    waivers: list[WaiverRow] = field(default_factory=list)
    waivers_other_candidates: int = 0
    blocking: list[dict[str, Any]] | None = None  # None: written before results.json listed them
    scope: dict[str, Any] | None = None
    ignored: list[dict[str, Any]] = field(default_factory=list)
    artefacts: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Results:
        return cls(
            run=RunInfo(**_known(RunInfo, data.get("run", {}))),
            candidate=CandidateInfo(**_known(CandidateInfo, data.get("candidate", {}))),
            profiles=[ProfileInfo(**_known(ProfileInfo, p)) for p in data.get("profiles", [])],
            requirements=[RequirementRow(**_known(RequirementRow, r)) for r in data.get("requirements", [])],
            summary=Summary(**_known(Summary, data.get("summary", {}))),
            waivers=[WaiverRow(**_known(WaiverRow, w)) for w in data.get("waivers", [])],
            waivers_other_candidates=int(data.get("waivers_other_candidates") or 0),
            blocking=data.get("blocking"),
            scope=data.get("scope"),
            ignored=list(data.get("ignored", [])),
            artefacts=list(data.get("artefacts", [])),
        )

    def rows_of(self, pack: str) -> list[RequirementRow]:
        return [r for r in self.requirements if r.pack == pack]


def failures(rows: Iterable[RequirementRow], level: str) -> int:
    """How many requirements of this level FAILED."""
    return sum(1 for r in rows if r.level == level and r.verdict == "FAILED")
