"""Golden digests of `validate --format json` output: the proof that a speed change leaves verdicts and findings byte-identical.

Each artefact's entry of the JSON output (ArtefactReport.to_dict(): verdict, reason, findings with their
locations, lines and messages, evaluated requirements, children) is serialised canonically, with its path
made relative to the folder walked, and hashed (SHA-256). Nothing in it varies between runs (no timings).

Regenerate after an intended change of output (and say why in the commit):

    python tests/cda/golden_output.py            # bundled fixtures
    ENRS_ANS_EXAMPLES=/path/to/ExemplesCDA python tests/cda/golden_output.py   # and the agency's examples
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"
GOLDEN = Path(__file__).with_name("golden_output.json")


def _relative(entry: dict[str, Any], root: str) -> dict[str, Any]:
    entry = dict(entry)
    entry["path"] = entry["path"].replace(root, "<root>", 1) if isinstance(entry.get("path"), str) else entry.get("path")
    entry["children"] = [_relative(c, root) for c in entry.get("children", [])]
    return entry


def digests(folder: Path) -> dict[str, str]:
    """Relative path → SHA-256 of the canonical JSON of its `validate --format json` entry (all packs, no kit)."""
    from harness.validation.dispatch import make_context, validate_file, walk_artefacts

    context = make_context([], [], None)
    files, _ignored = walk_artefacts([folder])
    found: dict[str, str] = {}
    for path in files:
        entry = _relative(validate_file(path, context).to_dict(), str(folder))
        canonical = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        found[path.relative_to(folder).as_posix()] = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return found


def load() -> dict[str, dict[str, str]]:
    result: dict[str, dict[str, str]] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return result


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    golden = load() if GOLDEN.exists() else {}
    golden["fixtures"] = digests(FIXTURES)
    if os.environ.get("ENRS_ANS_EXAMPLES"):
        golden["agency_examples"] = digests(Path(os.environ["ENRS_ANS_EXAMPLES"]))
    GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print({key: len(value) for key, value in golden.items()})
