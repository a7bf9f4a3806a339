"""Shared fixtures of the bundled conformance suites."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config.target import Target
from harness.pki import PkiManifest, load_manifest
from harness.run.plugin import session_of

# The packs the tests of each folder are tied to (their requirement, profile and selected_with markers; checked by
# tests/run/test_suite_markers.py): a run selecting none of them does not collect the folder, nor import what only its
# tests need (the simulator). The documents folder is always collected: its tests stand for the validators' packs.
FOLDER_PACKS = {
    "endpoints": frozenset({"ci-sis-mllp-transport", "pgssi-s-security"}),
    "mssante": frozenset({"ihe-xdm", "mssante-exchange", "mssante-operator"}),
    "xds": frozenset({"ci-sis-vihf", "ci-sis-xds", "ci-sis-xds-dmp", "ihe-xds-b", "ihe-xds-b-actors"}),
}
HERE = Path(__file__).parent


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    packs = FOLDER_PACKS.get(collection_path.name) if collection_path.parent == HERE else None
    if packs is not None and packs.isdisjoint(session_of(config).selected_ids):
        return True  # every test of the folder would be deselected
    return None


@pytest.fixture(scope="session")
def test_pki(enrs_target: Target) -> PkiManifest | None:
    """The lab-mode test PKI the candidate trusts (target settings.test_pki), if any."""
    value = enrs_target.settings.get("test_pki")
    if not value:
        return None
    path = Path(value)
    if not path.is_absolute() and enrs_target.source is not None:
        path = enrs_target.source.parent / path
    return load_manifest(path)
