"""Exemple d'extension régionale d'enrs-harness / an example regional extension of enrs-harness.

Registered through entry points (pyproject.toml): its profile pack folder, its suite folder, a CDA rule and
an HL7 v2 rule (enrs_region_exemple.rules). Nothing in enrs-harness is edited.
"""

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def packs() -> Path:
    """The folder of the region's profile packs."""
    return _HERE / "profiles"


def suites() -> Path:
    """The folder of the region's pytest suites."""
    return _HERE / "suites"
