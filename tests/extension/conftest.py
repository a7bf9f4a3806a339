"""Fixtures of the extension tests; makes the helpers of this folder (extension_helpers) importable under importlib mode."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.append(_HERE)  # appended: other folders import their own `conftest` by name

from extension_helpers import example_site  # noqa: E402  (importable once the folder is on sys.path)

from harness.extension import registry  # noqa: E402


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Registry caches cleared before and after: what a test installs is seen, and forgotten afterwards."""
    registry.reset()
    yield
    monkeypatch.undo()
    registry.reset()


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, installed: None) -> list[Path]:
    """The regional example installed in this process for one test."""
    paths = example_site(tmp_path)
    for path in reversed(paths):
        monkeypatch.syspath_prepend(str(path))
    registry.reset()
    return paths
