"""Case-insensitive path resolution inside a kit folder.

The agency's kit was written on Windows: some include hrefs differ from the file names only by
case (`E_directiveAnticipee_int.sch` for `E_directiveanticipee_int.sch`, folder `entrees` for
`Entrees`). On a case-sensitive file system the harness resolves each path segment by itself:
the exact name first, then the one entry of the folder whose name matches ignoring case.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Resolved:
    path: Path
    case_differs: bool  # True when a segment only matched ignoring case (a kit defect, repaired)


@lru_cache(maxsize=4096)
def _entries(folder: str) -> dict[str, str]:
    """Lower-cased name → real name of a folder's entries (first one wins on a clash)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return {}
    found: dict[str, str] = {}
    for name in names:
        found.setdefault(name.lower(), name)
    return found


def resolve_ci(base: Path, relative: str) -> Resolved | None:
    """`relative` (a '/'-separated href) against the folder `base`, ignoring case; None if absent."""
    current = Path(base)
    differs = False
    for part in relative.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            current = current.parent
            continue
        exact = current / part
        if exact.exists():
            current = exact
            continue
        real = _entries(str(current)).get(part.lower())
        if real is None:
            return None
        current, differs = current / real, True
    return Resolved(current, differs) if current.exists() else None


def clear_listing_cache() -> None:
    """Forget folder listings (tests that change a kit folder call this)."""
    _entries.cache_clear()
