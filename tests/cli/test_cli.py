"""The command line, run as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import __version__

from ..conftest import write

REPO = Path(__file__).resolve().parents[2]

SUITE = """
import pytest

@pytest.mark.requirement("DEMO-MUST-1")
def test_one(enrs):
    enrs.artefact("sample.xml", b"<x/>")

@pytest.mark.requirement("DEMO-MUST-2")
def test_two():
    assert {outcome}

@pytest.mark.requirement("DEMO-SHOULD-1")
def test_three():
    pass
"""


def harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "ENRS_LANG": "en"}
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_version(tmp_path: Path) -> None:
    result = harness("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"enrs-harness {__version__}"


def test_profiles_list_and_show(tmp_path: Path, packs_dir: Path) -> None:
    listed = harness("profiles", "list", "--profiles-dir", str(packs_dir), "--format", "json", cwd=tmp_path)
    assert listed.returncode == 0
    ids = {p["id"]: p for p in json.loads(listed.stdout)}
    assert ids["demo"]["version"] == "1.2.0" and ids["demo"]["requirements"] == 3
    shown = harness("profiles", "show", "demo", "--profiles-dir", str(packs_dir), "--format", "json", cwd=tmp_path)
    assert [r["id"] for r in json.loads(shown.stdout)["requirements"]] == ["DEMO-MUST-1", "DEMO-MUST-2", "DEMO-SHOULD-1"]
    table = harness("profiles", "show", "demo", "--profiles-dir", str(packs_dir), "--lang", "en", cwd=tmp_path)
    assert "DEMO-SHOULD-1  SHOULD  2.1" in table.stdout and "Recommendation" in table.stdout
    unknown = harness("profiles", "show", "nope", "--profiles-dir", str(packs_dir), cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown profile: nope" in unknown.stderr and "Traceback" not in unknown.stderr


def run_demo(tmp_path: Path, packs_dir: Path, outcome: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    suites = write(tmp_path / "suites" / "test_demo.py", SUITE.format(outcome=outcome)).parent
    result = harness("run", "--profiles-dir", str(packs_dir), "--profile", "demo", "--suites", str(suites),
                     "--report-dir", str(tmp_path / "reports"), cwd=tmp_path)
    runs = list((tmp_path / "reports").iterdir())
    assert len(runs) == 1
    return result, runs[0]


def test_run_issues_a_certificate_and_exits_0(tmp_path: Path, packs_dir: Path) -> None:
    result, run_dir = run_demo(tmp_path, packs_dir, "True")
    assert result.returncode == 0, result.stdout + result.stderr
    assert {p.name for p in run_dir.iterdir()} == {"report.html", "results.json", "junit.xml", "certificate.html"}
    assert "Overall verdict: CONFORMANT — Conformance certificate" in result.stdout and str(run_dir / "certificate.html") in result.stdout
    assert json.loads((run_dir / "results.json").read_text())["summary"]["certificate_issued"] is True


def test_run_with_a_failing_must_exits_1_with_a_nonconformity_report(tmp_path: Path, packs_dir: Path) -> None:
    result, run_dir = run_demo(tmp_path, packs_dir, "False, 'ERR segment missing'")
    assert result.returncode == 1
    assert "Overall verdict: NOT CONFORMANT — Non-conformity report" in result.stdout
    assert "  FAILED  MUST  DEMO-MUST-2 — ERR segment missing.\n" in result.stdout  # the reason in words, no exception name
    # by default: progress and the summary; pytest's failures and tracebacks are in report.html (and behind -v)
    for noise in ("AssertionError", "Traceback", "FAILURES", "assert False", ".partial", "PytestAssertRewriteWarning"):
        assert noise not in result.stdout + result.stderr
    assert len(result.stdout.splitlines()) < 25
    verbose = harness("run", "--profiles-dir", str(packs_dir), "--profile", "demo", "--suites", str(tmp_path / "suites"),
                      "--report-dir", str(tmp_path / "reports"), "-v", cwd=tmp_path)
    assert verbose.returncode == 1 and "ERR segment missing" in verbose.stdout and "AssertionError" in verbose.stdout
    assert "Non-conformity report" in (run_dir / "certificate.html").read_text()


def test_run_usage_and_configuration_errors_exit_2_without_traceback(tmp_path: Path, packs_dir: Path) -> None:
    missing = harness("run", "--target", str(tmp_path / "absent.toml"), "--report-dir", str(tmp_path / "r"), cwd=tmp_path)
    assert missing.returncode == 2 and "not found" in missing.stderr and "Traceback" not in missing.stderr
    bad_target = write(tmp_path / "bad.toml", "[candidate]\nname = 'x'\n")
    broken = harness("run", "--target", str(bad_target), "--report-dir", str(tmp_path / "r"), cwd=tmp_path)
    assert broken.returncode == 2 and "[candidate] vendor" in broken.stderr + broken.stdout and "Traceback" not in broken.stderr
    unknown = harness("run", "--profile", "nope", "--report-dir", str(tmp_path / "r"), cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown profile: nope" in unknown.stderr + unknown.stdout
    usage = harness("run", "--lang", "de", cwd=tmp_path)
    assert usage.returncode == 2 and "invalid choice" in usage.stderr


def test_no_command_prints_help_and_exits_2(tmp_path: Path) -> None:
    result = harness(cwd=tmp_path)
    assert result.returncode == 2 and "run" in result.stdout and "validate" in result.stdout


@pytest.mark.parametrize("how", ["python -m harness", "enrs-harness"])
def test_the_process_leaves_its_objects_out_of_pythons_last_garbage_collection(tmp_path: Path, how: str) -> None:
    """What is alive when a command ends is frozen: Python's collection at exit would walk it all once more for nothing."""
    probe = ("import atexit, gc, sys\n"
             "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0))\n"  # runs before that collection
             + ("import runpy; sys.argv = ['harness', 'profiles', 'list']; runpy.run_module('harness', run_name='__main__')\n"
                if how == "python -m harness" else
                "import importlib.metadata as m; sys.argv = ['enrs-harness', 'profiles', 'list']\n"
                "sys.exit(next(e for e in m.entry_points(group='console_scripts') if e.name == 'enrs-harness').load()())\n"))
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("frozen at exit: True")
    in_process = subprocess.run([sys.executable, "-c", "import gc; from harness.cli import main; main(['profiles', 'list']); "
                                 "print('frozen after main:', gc.get_freeze_count() > 0)"], cwd=tmp_path, capture_output=True, text=True,
                                timeout=60)
    assert in_process.stdout.rstrip().endswith("frozen after main: False")  # main() leaves an in-process caller's collector alone
