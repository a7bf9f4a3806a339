"""Defects of the kit itself (missing or mis-cased files), reported as CISIS-KIT-INTEGRITY findings.

A defect never stops a run. `repaired` defects (an include found ignoring case, a value-set file
generated from the kit's own value sets) leave the checks complete and are reported as info; the
others leave some checks out and are reported as warnings, and the schematron family concerned is
then not counted as evaluated (it can still fail, never pass).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.core.findings import Finding, Severity

INTEGRITY = "CISIS-KIT-INTEGRITY"


@dataclass(frozen=True)
class KitDefect:
    # missing-file, missing-data-file, missing-terminology, case, unreadable, missing-abstract, missing-rule, missing-pattern,
    # generated-valueset, compile, runtime, duplicate-let
    kind: str
    where: str  # kit-relative file (and what it refers to)
    detail_fr: str
    detail_en: str
    repaired: bool = False

    def finding(self) -> Finding:
        severity = Severity.INFO if self.repaired else Severity.WARNING
        prefix_fr = "Kit réparé" if self.repaired else "Kit incomplet"
        prefix_en = "Kit repaired" if self.repaired else "Kit incomplete"
        return Finding(INTEGRITY, severity, f"{prefix_fr} ({self.kind}) : {self.detail_fr}",
                       f"{prefix_en} ({self.kind}): {self.detail_en}", location=self.where)
