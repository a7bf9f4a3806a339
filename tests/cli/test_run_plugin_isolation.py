"""A run loads only its own pytest plugins: one installed beside the harness is not loaded (it could change the run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

# An installed pytest plugin (a distribution with a pytest11 entry point) that leaves a mark when pytest loads it.
_PLUGIN = '''
from pathlib import Path
Path(__file__).with_name("loaded.mark").write_text("loaded")
'''


def _install_stray_plugin(site: Path) -> Path:
    (site / "stray_plugin.py").write_text(_PLUGIN)
    dist = site / "stray_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: stray-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[pytest11]\nstray = stray_plugin\n")
    return site / "loaded.mark"


def _run(site: Path, work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(site)]), "ENRS_LANG": "en"}
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=work, timeout=180)


def test_a_plugin_installed_beside_the_harness_is_not_loaded_by_a_run(tmp_path: Path) -> None:
    site, work = tmp_path / "site", tmp_path / "work"
    site.mkdir()
    work.mkdir()
    mark = _install_stray_plugin(site)
    # the control: plain pytest in the same environment does load it (so the run's result below means something)
    (work / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    control = _run(site, work, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_nothing.py")
    assert control.returncode == 0, control.stdout + control.stderr
    assert mark.exists(), "the stray plugin was not loaded by plain pytest: the test proves nothing"
    mark.unlink()

    document = REPO / "fixtures" / "conforming" / "cda" / "vsm-2023.xml"
    done = _run(site, work, "-m", "harness", "run", "--documents", str(document), "--profile", "ci-sis-cda-header",
                "--quiet", "--report-dir", str(work / "reports"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert not mark.exists(), "the run loaded a pytest plugin it does not name"
    (run_dir,) = (work / "reports").iterdir()
    command = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))["run"]["command"]
    assert "harness.run.plugin" in command and "pytest_html.plugin" in command


def test_a_run_collects_garbage_less_often_from_its_start_and_restores_the_collector(tmp_path: Path,
                                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest's start allocates enough to trigger a collection of every object: the run's threshold holds from the start."""
    import gc

    import harness.cli.commands.run as run_module
    from harness.cli import main

    seen: list[tuple[int, int, int]] = []
    def stand_in(*args: object, **kwargs: object) -> pytest.ExitCode:
        seen.append(gc.get_threshold())
        return pytest.ExitCode.INTERNAL_ERROR

    monkeypatch.setattr(run_module.pytest, "main", stand_in)
    before = gc.get_threshold()
    assert before[0] < 10_000
    (tmp_path / "documents").mkdir()
    code = main(["run", "--documents", str(tmp_path / "documents"), "--report-dir", str(tmp_path / "reports")])
    assert code == 2  # the stand-in pytest wrote no results: "the run could not start"
    assert seen == [(10_000, *before[1:])] and gc.get_threshold() == before
