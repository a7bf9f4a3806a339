"""Shared helpers of the kit-mode tests: the mini kit, its documents, a private cache folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.cdakit import kit_findings
from harness.cdakit.kit import reset_process_caches
from harness.core.findings import Finding
from harness.core.xmlsafe import parse_xml

HERE = Path(__file__).parent
MINI_KIT = HERE / "mini-kit"
DOCUMENTS = HERE / "documents"


@pytest.fixture(autouse=True)
def kit_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One cache folder for the whole module run (compiling once keeps the tests fast)."""
    folder = tmp_path_factory.getbasetemp() / "kit-cache"
    monkeypatch.setenv("ENRS_HARNESS_CACHE", str(folder))
    return folder


@pytest.fixture
def kit_copy(tmp_path: Path) -> Path:
    """A private copy of the mini kit, to break on purpose."""
    target = tmp_path / "kit"
    shutil.copytree(MINI_KIT, target)
    reset_process_caches()
    yield target
    reset_process_caches()


class KitLab:
    """Helpers of the kit tests (a fixture, since test modules do not import each other)."""

    mini_kit = MINI_KIT

    @staticmethod
    def document(name: str, *edits: tuple[str, str]) -> bytes:
        """A test document, with each (old, new) edit applied exactly once."""
        text = (DOCUMENTS / name).read_text(encoding="utf-8")
        for old, new in edits:
            assert text.count(old) == 1, f"edit target not unique: {old!r}"
            text = text.replace(old, new)
        return text.encode("utf-8")

    @staticmethod
    def line_of(data: bytes, needle: str, nth: int = 1) -> int:
        """Line of the nth line containing `needle`."""
        lines = [n for n, line in enumerate(data.decode("utf-8").splitlines(), start=1) if needle in line]
        assert len(lines) >= nth, needle
        return lines[nth - 1]

    @staticmethod
    def check(data: bytes, kit: Path = MINI_KIT) -> tuple[list[Finding], list[str]]:
        return kit_findings(parse_xml(data), data, kit)

    @staticmethod
    def problems(findings: list[Finding]) -> list[Finding]:
        """Errors and warnings (info findings report repaired kit defects)."""
        return [f for f in findings if str(f.severity) != "info"]


@pytest.fixture
def lab() -> type[KitLab]:
    return KitLab
