"""Installs the regional example package (examples/regional-pack) for a test, the way pip would, without a venv:
its source folder and a .dist-info folder holding its entry points go on sys.path (or PYTHONPATH for a subprocess)."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "regional-pack"


def write_distribution(folder: Path, name: str, version: str, entry_points: dict[str, dict[str, str]]) -> Path:
    """A minimal installed distribution (METADATA, entry_points.txt) in `folder`, as pip writes it in site-packages."""
    info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    lines = [line for group, table in entry_points.items()
             for line in (f"[{group}]", *(f"{key} = {value}" for key, value in table.items()), "")]
    (info / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")
    return folder


def example_site(tmp_path: Path) -> list[Path]:
    """The sys.path entries that make the example installed: its sources and its distribution metadata."""
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    site = write_distribution(tmp_path / "site", project["name"], project["version"], project["entry-points"])
    return [EXAMPLE / "src", site]
