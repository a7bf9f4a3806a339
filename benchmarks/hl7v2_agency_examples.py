"""Per-file verdict and error count of the agency's public HL7 v2 examples (study only: never committed).

    ENRS_ANS_HL7_EXAMPLES=/work/ext/hl7V2-exemples python benchmarks/hl7v2_agency_examples.py [--json out.json]

Prints, for each message file, the verdict, the number of error findings of the message itself, the
errors of nested CDA reports, and the error findings (requirement, location, English message).
The opt-in test tests/hl7v2/test_agency_examples.py pins the expected outcome.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.findings import Severity
from harness.validation.dispatch import validate_file

MESSAGE_SUFFIXES = (".hl7", ".er7")


def message_files(root: Path) -> list[Path]:
    """The example messages: .hl7/.er7 files and the extension-less "Message metier" files."""
    found = [p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts
             and (p.suffix.lower() in MESSAGE_SUFFIXES or (not p.suffix and p.name.startswith("Message metier")))]
    return sorted(found)


def measure(root: Path) -> list[dict]:
    context = ValidationContext(registry=PackRegistry.load())
    rows = []
    for path in message_files(root):
        report = validate_file(path, context)
        errors = [f for f in report.findings if f.severity is Severity.ERROR]
        rows.append({
            "file": str(path.relative_to(root)),
            "verdict": report.verdict.value,
            "profile": report.profile,
            "errors": len(errors),
            "child_errors": sum(1 for c in report.children for f in c.findings if f.severity is Severity.ERROR),
            "findings": [(f.requirement, f.location, f.message_en) for f in errors],
            "reason": report.reason,
        })
    return rows


def main() -> int:
    root = Path(os.environ.get("ENRS_ANS_HL7_EXAMPLES", ""))
    if not root.is_dir():
        print("set ENRS_ANS_HL7_EXAMPLES to a checkout of ansforge/hl7V2-exemples", file=sys.stderr)
        return 2
    rows = measure(root)
    for row in rows:
        print(f"{row['verdict']:8} {row['errors']:3} (+{row['child_errors']} CDA) {row['file']}  [{row['profile']}]")
        for requirement, where, text in row["findings"]:
            print(f"          {requirement} {where}: {text[:140]}")
    if "--json" in sys.argv:
        Path(sys.argv[sys.argv.index("--json") + 1]).write_text(json.dumps(rows, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
