"""Shared fixtures of the bundled conformance suites."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config.target import Target
from harness.pki import PkiManifest, load_manifest


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
