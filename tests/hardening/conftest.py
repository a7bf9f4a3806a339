"""Shared helpers of the hardening tests: hostile inputs are generated here, small and fast."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.config.packs import PackRegistry
from harness.core.resources import bundled_dir
from harness.validation.dispatch import ValidationContext

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def context() -> ValidationContext:
    return ValidationContext(registry=PackRegistry.load())


@pytest.fixture(scope="session")
def conforming_cda() -> bytes:
    return (bundled_dir("fixtures") / "conforming" / "cda" / "vsm-2023.xml").read_bytes()


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The command line in a child process, with a stdin that never ends (as a terminal would)."""
    import os

    read_end, write_end = os.pipe()
    try:
        return subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, stdin=read_end, capture_output=True,
                              text=True, timeout=timeout)
    finally:
        os.close(read_end)
        os.close(write_end)
