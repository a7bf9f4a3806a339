"""Every test of the bundled suites is tied to profile packs (a `requirement`, `profile` or `selected_with` marker), so a run
selecting other packs deselects it (issue 13: a documents-only run collects, starts and records nothing of the endpoints).
A test without any would run in every run, whatever its packs.

Collected in a child process: collecting suites/ imports the simulator and the endpoint suites, which the test process
must not keep half-imported from a nested session.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ..conftest import REPO

TIES = ("requirement", "profile", "selected_with")
PROBE = """
import json, sys
import pytest

class Probe:
    def pytest_collection_finish(self, session):
        self.markers = {item.nodeid: sorted({m.name for m in item.iter_markers()}) for item in session.items}

probe = Probe()
status = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "--rootdir", sys.argv[1], sys.argv[1]], plugins=[probe])
print(json.dumps({"status": int(status), "markers": getattr(probe, "markers", {})}))
"""


def collected_markers(folder: Path) -> dict[str, list[str]]:
    """Each test pytest collects under `folder` → the names of its markers."""
    done = subprocess.run([sys.executable, "-c", PROBE, str(folder)], capture_output=True, text=True, timeout=180, cwd=folder)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["status"] == 0, done.stdout[-3000:]
    markers: dict[str, list[str]] = found["markers"]
    return markers


def untied(markers: dict[str, list[str]]) -> list[str]:
    return sorted(nodeid for nodeid, names in markers.items() if not set(names) & set(TIES))


def test_every_test_of_the_bundled_suites_is_tied_to_packs() -> None:
    markers = collected_markers(REPO / "suites")
    assert len(markers) > 100  # the documents test and the endpoint, XDS and MSSanté suites
    assert "selected_with" in markers["xds/test_source.py::test_source_submission_metadata"]
    assert untied(markers) == []


def test_the_guard_sees_a_test_tied_to_no_pack(tmp_path: Path) -> None:
    (tmp_path / "test_s.py").write_text("import pytest\n\n@pytest.mark.requirement('SM-ID')\ndef test_tied():\n    pass\n\n\n"
                                        "def test_untied():\n    pass\n", encoding="utf-8")
    markers = collected_markers(tmp_path)
    assert sorted(markers) == ["test_s.py::test_tied", "test_s.py::test_untied"]
    assert untied(markers) == ["test_s.py::test_untied"]
