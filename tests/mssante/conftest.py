"""Shared fixtures of the XDM and MSSanté tests: the packs' validation context, the fixture builders."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry


@pytest.fixture(scope="session")
def context() -> ValidationContext:
    return ValidationContext(registry=PackRegistry.load())
