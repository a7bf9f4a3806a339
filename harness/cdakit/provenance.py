"""What identifies the kit a result was obtained with (reference §2.3: rule sets drift between tools).

`kit_provenance(kit_dir)` gives the kit folder, its git commit when it is a git checkout, and the
SHA-256 of its XSD entry point and of each generic profile schematron's entry file; cheap (no
compilation), meant for the JSON output and the run's results next to the verdicts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from harness.cdakit.layout import locate
from harness.core.fileio import sha256_hex

_SHA = re.compile(r"^[0-9a-f]{40}$")


def git_commit(root: Path) -> str | None:
    """The commit of a git checkout, read from .git without running git (None if unknown)."""
    git = root / ".git"
    try:
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if _SHA.match(head):
            return head
        if head.startswith("ref: "):
            ref = head[5:].strip()
            loose = git / ref
            if loose.is_file():
                value = loose.read_text(encoding="utf-8").strip()
                return value if _SHA.match(value) else None
            packed = git / "packed-refs"
            if packed.is_file():
                for line in packed.read_text(encoding="utf-8").splitlines():
                    sha, _, name = line.partition(" ")
                    if name.strip() == ref and _SHA.match(sha):
                        return sha
    except OSError:
        return None
    return None


def kit_provenance(kit_dir: Path) -> dict[str, Any]:
    root = Path(kit_dir).resolve()
    layout = locate(root)

    def digest(path: Path | None) -> str | None:
        try:
            return sha256_hex(path.read_bytes()) if path else None
        except OSError:
            return None

    return {
        "path": str(root),
        "commit": git_commit(root),
        "xsd": {"file": layout.xsd.relative_to(root).as_posix(), "sha256": digest(layout.xsd)} if layout.xsd else None,
        "profiles": {requirement: {"file": path.relative_to(root).as_posix(), "sha256": digest(path)}
                     for requirement, path in layout.profiles},
        "volet_schematrons": sum(len(versions) for versions in layout.volets.values()),
    }
