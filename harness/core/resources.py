"""Where the bundled profile packs, fixtures and suites are.

In a source checkout (or an editable install) they are the top-level folders of the repository;
in an installed wheel they are carried inside the package under `harness/_bundled/`.
"""

from __future__ import annotations

from pathlib import Path

from harness.core.errors import HarnessError

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # harness/


def bundled_dir(name: str) -> Path:
    """The bundled folder `name` ("profiles", "fixtures" or "suites")."""
    for candidate in (_PACKAGE_DIR / "_bundled" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise HarnessError(
        f"dossier embarqué introuvable : {name} (installation incomplète ?)",
        f"bundled folder not found: {name} (incomplete installation?)",
    )
