"""Dependencies that tell the truth: the default path imports every declared runtime dependency and no
optional one; kit mode without its extra says how to install it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from harness.cdakit.layout import kit_pack_dir, with_kit_pack
from harness.cli import main

REPO = Path(__file__).resolve().parents[2]
CONFORMING = REPO / "fixtures" / "conforming"
INSTALL_HINT = "pip install 'enrs-harness[kit]'"

# Runs the harness in a fresh interpreter, then prints the distributions whose modules it imported.
PROBE = """
import contextlib, importlib.metadata, io, json, sys
from harness.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    status = main(sys.argv[1:])
names = importlib.metadata.packages_distributions()
dists = sorted({d for m in list(sys.modules) for d in names.get(m.split(".")[0], [])})
print(json.dumps({"status": status, "distributions": dists}))
"""


def _imported(*args: str, cwd: Path) -> tuple[int, set[str]]:
    """The harness's exit status and the distributions it imported, on a first run (an empty cache: the packs are
    checked against their schema, which a run from the pack cache skips along with jsonschema's import)."""
    env = {**os.environ, "ENRS_HARNESS_CACHE": str(cwd / "empty-cache")}
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    return probe["status"], {d.lower() for d in probe["distributions"]}


def _declared() -> list[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [spec.split(">")[0].split("=")[0].split("[")[0].strip().lower() for spec in project["dependencies"]]


def test_kit_mode_without_saxon_says_how_to_install(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "saxonche", None)  # what `import saxonche` meets when the extra is not installed
    assert main(["validate", str(CONFORMING / "cda"), "--kit", str(tmp_path)]) == 2
    french = capsys.readouterr().err
    assert main(["validate", str(CONFORMING / "cda"), "--kit", str(tmp_path), "--lang", "en"]) == 2
    english = capsys.readouterr().err
    assert "le mode kit (--kit) a besoin de SaxonC-HE" in french and INSTALL_HINT in french
    assert "kit mode (--kit) needs SaxonC-HE" in english and INSTALL_HINT in english
    assert "Traceback" not in french + english


def test_kit_mode_with_saxon_goes_on() -> None:
    pytest.importorskip("saxonche")
    assert with_kit_pack([], Path(".")) == [kit_pack_dir()]


def test_default_path_imports_every_runtime_dependency_and_not_saxon(tmp_path: Path) -> None:
    status, imported = _imported("run", "--report-dir", str(tmp_path / "reports"), cwd=tmp_path)
    assert status == 0
    assert set(_declared()) <= imported, f"declared but not imported: {set(_declared()) - imported}"
    assert "saxonche" not in imported


def test_kit_mode_imports_saxon(tmp_path: Path) -> None:
    """The other way: the probe above does see Saxon when kit mode loads it (here on an empty kit folder)."""
    pytest.importorskip("saxonche")
    _, imported = _imported("validate", str(CONFORMING / "cda"), "--kit", str(tmp_path), cwd=tmp_path)
    assert "saxonche" in imported
