"""Native verdict and kit verdict of each document, side by side (issue 19's table).

One kit-mode validation per document gives both: kit mode adds the kit's findings
(requirements `CISIS-KIT-*`) to the native ones, so a document FAILS natively when a native
requirement has an error, and with the kit when a `CISIS-KIT-*` requirement has one
(`CISIS-KIT-INTEGRITY` describes the kit, never the document, and is never an error).
Used by `benchmarks/kit_agreement.py` (the table) and the opt-in agreement test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.config.context import ValidationContext
from harness.core.findings import ArtefactReport, Severity
from harness.validation.dispatch import validate_file

KIT_PREFIX = "CISIS-KIT-"


@dataclass(frozen=True)
class Row:
    name: str
    native: set[str]  # requirement ids with an error, native rules
    kit: set[str]  # requirement ids with an error, the kit's XSD and schematrons
    kit_detail: tuple[str, ...]  # the kit's error messages (English), for the cause column
    native_detail: tuple[str, ...]
    volet: str | None  # profile and version the native validator applied

    @property
    def agree(self) -> bool:
        return bool(self.native) == bool(self.kit)


def split(report: ArtefactReport) -> tuple[set[str], set[str]]:
    """(native, kit) requirement ids that carry an error in `report`."""
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    return ({f.requirement for f in errors if not f.requirement.startswith(KIT_PREFIX)},
            {f.requirement for f in errors if f.requirement.startswith(KIT_PREFIX)})


def compare(path: Path, context: ValidationContext) -> Row:
    """The row of one document; `context` must have a kit (`kit_dir`)."""
    report = validate_file(path, context)
    native, kit = split(report)
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    volet = f"{report.profile} {report.version}" if report.profile else None
    return Row(path.name, native, kit, tuple(f.message_en for f in errors if f.requirement.startswith(KIT_PREFIX)),
               tuple(f"{f.requirement}: {f.message_en}" for f in errors if not f.requirement.startswith(KIT_PREFIX)), volet)
