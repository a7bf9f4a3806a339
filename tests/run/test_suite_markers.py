"""Every test of the bundled suites is tied to profile packs (a `requirement`, `profile` or `selected_with` marker), so a run
selecting other packs deselects it (issue 13: a documents-only run collects, starts and records nothing of the endpoints).
A test without any would run in every run, whatever its packs.

Collected in a child process: collecting suites/ imports the simulator and the endpoint suites, which the test process
must not keep half-imported from a nested session.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from harness.config.packs import PackRegistry

from ..conftest import REPO

TIES = ("requirement", "profile", "selected_with")
PROBE = f"""
import json, sys
import pytest

TIES = {TIES!r}


class Probe:
    def pytest_collection_finish(self, session):
        self.markers = {{}}
        for item in session.items:
            found = self.markers[item.nodeid] = {{}}
            for marker in item.iter_markers():
                found.setdefault(marker.name, []).extend(str(a) for a in marker.args if marker.name in TIES)

probe = Probe()
status = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "--rootdir", sys.argv[1], sys.argv[1], *sys.argv[2:]],
                     plugins=[probe])
print(json.dumps({{"status": int(status), "markers": getattr(probe, "markers", {{}})}}))
"""


def collected_markers(folder: Path, *args: str) -> dict[str, dict[str, list[str]]]:
    """Each test pytest collects under `folder` (with the options `args`) → its markers' names → their arguments (for `TIES`)."""
    done = subprocess.run([sys.executable, "-c", PROBE, str(folder), *args], capture_output=True, text=True, timeout=180, cwd=folder)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["status"] == 0, done.stdout[-3000:]
    markers: dict[str, dict[str, list[str]]] = found["markers"]
    return markers


@functools.cache
def bundled_suite_markers() -> dict[str, dict[str, list[str]]]:
    """collected_markers of suites/ with no option (every test), collected once for the tests below."""
    return collected_markers(REPO / "suites")


def untied(markers: dict[str, dict[str, list[str]]]) -> list[str]:
    return sorted(nodeid for nodeid, names in markers.items() if not set(names) & set(TIES))


def test_every_test_of_the_bundled_suites_is_tied_to_packs() -> None:
    markers = bundled_suite_markers()
    assert len(markers) > 100  # the documents test and the endpoint, XDS and MSSanté suites
    assert "selected_with" in markers["xds/test_source.py::test_source_submission_metadata"]
    assert untied(markers) == []


def test_the_guard_sees_a_test_tied_to_no_pack(tmp_path: Path) -> None:
    (tmp_path / "test_s.py").write_text("import pytest\n\n@pytest.mark.requirement('SM-ID')\ndef test_tied():\n    pass\n\n\n"
                                        "def test_untied():\n    pass\n", encoding="utf-8")
    markers = collected_markers(tmp_path)
    assert sorted(markers) == ["test_s.py::test_tied", "test_s.py::test_untied"]
    assert untied(markers) == ["test_s.py::test_untied"]


def folder_packs() -> dict[str, frozenset[str]]:
    """FOLDER_PACKS of suites/conftest.py: which folders a run collects, from the packs it selects."""
    spec = importlib.util.spec_from_file_location("bundled_suites_conftest", REPO / "suites" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    packs: dict[str, frozenset[str]] = module.FOLDER_PACKS
    return packs


def test_each_suite_folder_is_collected_with_the_packs_its_tests_are_tied_to() -> None:
    """A test tied to a pack its folder does not list would silently not be collected when only that pack is selected:
    its requirements would not be judged. Every folder but documents (always collected) is listed."""
    registry = PackRegistry.load()
    found: dict[str, set[str]] = {}
    for nodeid, markers in bundled_suite_markers().items():
        packs = found.setdefault(nodeid.split("/")[0], set())
        packs |= {registry.requirements[r].pack_id for r in markers.get("requirement", [])}
        packs |= set(markers.get("profile", [])) | set(markers.get("selected_with", []))
    assert found.keys() == {*folder_packs(), "documents"}
    assert {folder: packs for folder, packs in found.items() if folder != "documents"} == folder_packs()


def test_a_run_collects_only_the_folders_of_its_packs(tmp_path: Path) -> None:
    documents_only = collected_markers(REPO / "suites", "--enrs-profile", "ci-sis-cda-header", "--enrs-run-dir", str(tmp_path / "a"))
    assert documents_only and {nodeid.split("/")[0] for nodeid in documents_only} == {"documents"}
    mssante = collected_markers(REPO / "suites", "--enrs-profile", "mssante-operator", "--enrs-run-dir", str(tmp_path / "b"))
    assert {nodeid.split("/")[0] for nodeid in mssante} == {"mssante"}  # (the documents tests of other packs deselected)
