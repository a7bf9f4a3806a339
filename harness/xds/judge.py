"""Which XDS requirements are active, their levels, and the pack data the rules read.

A pack takes part in XDS checking when it has a `[data.xds]` table (ihe-xds-b, ci-sis-xds, a regional
pack) or requirements evaluated by `validator:xds` (ci-sis-vihf): those requirements are the ones the
rules may report, each with the severity of its level; the `[data.xds]` tables are merged (later packs
add to or override earlier ones, key by key).
A rule whose requirement is in no selected pack is not run and never reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.config.packs import PackError, ProfilePack
from harness.core.findings import Finding, Severity

_SEVERITY = {"MUST": Severity.ERROR, "SHOULD": Severity.WARNING, "MAY": Severity.INFO}


def _merge(into: dict[str, Any], more: dict[str, Any]) -> None:
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


_WHERE = ("slot", "classification", "external")


def _check_attributes(pack: ProfilePack) -> None:
    """A pack's attribute table names, for each attribute, exactly one place where it lives (else the pack is broken)."""
    for kind, table in pack.data["xds"].get("attributes", {}).items():
        for name, spec in table.items() if isinstance(table, dict) else []:
            if not isinstance(spec, dict) or sum(key in spec for key in _WHERE) != 1:
                raise PackError(
                    pack.path,
                    f"[data.xds.attributes.{kind}] {name}",
                    "exactement un de slot, classification, external attendu",
                    "exactly one of slot, classification, external expected",
                )


@dataclass
class Judge:
    """Collects the findings and evaluated requirements of one artefact for the active XDS requirements."""

    levels: dict[str, str]  # requirement id → MUST/SHOULD/MAY
    data: dict[str, Any]  # merged [data.xds]
    findings: list[Finding] = field(default_factory=list)
    evaluated: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, selected: Iterable[ProfilePack], loaded: Iterable[ProfilePack] | None = None) -> Judge:
        """The judge for the `selected` packs; data comes from every `loaded` pack with [data.xds] (default: selected)."""
        selected = list(selected)
        data: dict[str, Any] = {}
        for pack in list(loaded) if loaded is not None else selected:
            if "xds" in pack.data:
                _check_attributes(pack)
                _merge(data, pack.data["xds"])
        levels = {r.id: r.level for pack in selected for r in pack.requirements if "xds" in pack.data or "validator:xds" in r.evaluated_by}
        return cls(levels=levels, data=data)

    def active(self, requirement: str) -> bool:
        return requirement in self.levels

    def evaluate(self, *requirements: str) -> bool:
        """Record the active ones among `requirements` as evaluated; True when any is active."""
        active = [r for r in requirements if r in self.levels]
        self.evaluated.extend(r for r in active if r not in self.evaluated)
        return bool(active)

    def fail(
        self, requirement: str, fr: str, en: str, location: str | None = None, line: int | None = None, severity: Severity | None = None
    ) -> None:
        """Report a violation of an active requirement (its level gives the severity unless `severity` says INFO)."""
        if requirement not in self.levels:
            return
        if requirement not in self.evaluated:
            self.evaluated.append(requirement)
        self.findings.append(Finding(requirement, severity or _SEVERITY[self.levels[requirement]], fr, en, location, line))

    def note(self, requirement: str, fr: str, en: str, location: str | None = None, line: int | None = None) -> None:
        """An information finding (fails nothing), e.g. a test OID or a code of a set the pack holds only in part."""
        if requirement in self.levels:
            self.findings.append(Finding(requirement, Severity.INFO, fr, en, location, line))
