"""The harness's own pack and suite folders, registered like any extension's (pyproject.toml)."""

from __future__ import annotations

from pathlib import Path

from harness.core.resources import bundled_dir


def national_packs() -> Path:
    return bundled_dir("profiles")


def bundled_suites() -> Path:
    return bundled_dir("suites")
