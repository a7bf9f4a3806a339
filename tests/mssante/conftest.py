"""Shared fixtures of the XDM and MSSanté tests: the packs' validation context, the fixture builders."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from harness.config.packs import PackRegistry
from harness.validation.dispatch import ValidationContext


@pytest.fixture(scope="session")
def context() -> ValidationContext:
    return ValidationContext(registry=PackRegistry.load())
