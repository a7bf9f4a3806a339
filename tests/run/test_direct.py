"""Document tests of a run take the lighter protocol of harness.run.direct: same verdicts, rows and evidence."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from harness.cli.commands.run import RUN_PLUGINS

pytest_plugins = ["pytester"]
REPO = Path(__file__).resolve().parents[2]

SUITE = """
def test_document(enrs_document, enrs, enrs_validation):
    report = enrs_document.validate(enrs_validation)
    enrs.artefact_report(report, display_name=enrs_document.name)
    assert report.verdict == "PASSED", report.reason

def test_with_tmp_path(enrs_document, enrs, enrs_validation, tmp_path):
    report = enrs_document.validate(enrs_validation)
    enrs.artefact_report(report, display_name=enrs_document.name)
    assert report.verdict == "PASSED", report.reason
"""

CONFTEST = """
import json, pathlib
import pytest

SET_UP, LOCATIONS, REPORTINFO = [], [], []
_reportinfo = pytest.Function.reportinfo

def counted(self):
    REPORTINFO.append(self.originalname)
    return _reportinfo(self)

def pytest_configure(config):
    pytest.Function.reportinfo = counted

def pytest_unconfigure(config):
    pytest.Function.reportinfo = _reportinfo

def pytest_runtest_setup(item):
    SET_UP.append(item.originalname)

def pytest_runtest_logfinish(nodeid, location):
    LOCATIONS.append(location)

def pytest_sessionfinish(session):
    pathlib.Path("seen.json").write_text(json.dumps({"set_up": SET_UP, "locations": LOCATIONS, "reportinfo": REPORTINFO}))
"""


def test_document_tests_skip_pytests_per_phase_machinery_and_record_the_same(pytester: pytest.Pytester) -> None:
    documents = pytester.path / "documents"
    documents.mkdir()
    (documents / "good.xml").write_bytes((REPO / "fixtures" / "conforming" / "cda" / "cr-bio-2024.xml").read_bytes())
    (documents / "broken.xml").write_bytes(b"<ClinicalDocument xmlns='urn:hl7-org:v3'>")
    pytester.makepyfile(test_suite=SUITE)
    pytester.makeconftest(CONFTEST)
    run_dir = pytester.path / "run"
    result = pytester.runpytest("-p", "no:cacheprovider", "--enrs-profile", "ci-sis-cda-structure", "--enrs-documents", str(documents),
                                "--enrs-run-dir", str(run_dir))
    result.assert_outcomes(passed=2, failed=2)
    # the test asking only for the run's fixtures went through no per-phase hook; the one asking for tmp_path did
    seen = json.loads((pytester.path / "seen.json").read_text())
    assert seen["set_up"] == ["test_with_tmp_path", "test_with_tmp_path"]
    # each test's location as pytest gives it, worked out once for the documents' test function
    lines = {"test_document": 0, "test_with_tmp_path": 5}
    documents_ids = ("broken.xml", "good.xml")
    assert seen["locations"] == [["test_suite.py", line, f"{name}[{doc}]"] for name, line in lines.items() for doc in documents_ids]
    assert seen["reportinfo"].count("test_document") == 1 and seen["reportinfo"].count("test_with_tmp_path") == 2
    results = json.loads((run_dir / "results.json").read_text())
    tests = {t["nodeid"].split("::")[1]: t for t in results["tests"]}
    assert set(tests) == {f"{name}[{doc}]" for name in ("test_document", "test_with_tmp_path") for doc in ("good.xml", "broken.xml")}
    for doc, verdict in (("good.xml", "PASSED"), ("broken.xml", "FAILED")):
        direct, usual = tests[f"test_document[{doc}]"], tests[f"test_with_tmp_path[{doc}]"]
        assert direct["verdict"] == usual["verdict"] == verdict
        assert direct["evidence"] == usual["evidence"] and direct["evidence"][0]["content"]["path"].endswith(doc)
        assert direct["requirements"] == usual["requirements"] and direct["artefacts"] == usual["artefacts"]
    junit = (run_dir / "junit.xml").read_text()
    assert len(re.findall(r'<testcase classname="test_suite" name="test_document\[', junit)) == 2
    embedded = re.search(r'data-jsonblob="([^"]*)"', (run_dir / "report.html").read_text())
    assert embedded is not None
    blob = json.loads(html.unescape(embedded.group(1)))
    rows = {k.split("::")[1]: v for k, v in blob["tests"].items()}
    assert rows["test_document[broken.xml]"][-1]["result"] == rows["test_with_tmp_path[broken.xml]"][-1]["result"] == "Failed"
    assert "enrs-evidence" in rows["test_document[good.xml]"][-1]["extras"][0]["content"]


@pytest.mark.parametrize("listening", [False, True])
def test_a_passed_setup_is_reported_only_when_a_plugin_besides_the_runs_own_takes_reports(pytester: pytest.Pytester,
                                                                                          monkeypatch: pytest.MonkeyPatch,
                                                                                          listening: bool) -> None:
    # as `enrs-harness run` starts pytest: its own plugins only, whatever else is installed (hypothesis, pytest-benchmark...)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    documents = pytester.path / "documents"
    documents.mkdir()
    (documents / "good.xml").write_bytes((REPO / "fixtures" / "conforming" / "cda" / "cr-bio-2024.xml").read_bytes())
    pytester.makepyfile(test_suite=SUITE)
    if listening:  # a conftest's hook gets every report, as in pytest's own protocol
        pytester.makeconftest("def pytest_runtest_logreport(report):\n    pass\n")
    recorder = pytester.inline_run(*RUN_PLUGINS, "-p", "no:cacheprovider", "--enrs-profile", "ci-sis-cda-structure",
                                   "--enrs-documents", str(documents), "--enrs-run-dir", str(pytester.path / "run"))
    reports = recorder.getreports("pytest_runtest_logreport")
    phases = {name: [r.when for r in reports if r.nodeid.endswith(f"{name}[good.xml]")] for name in ("test_document", "test_with_tmp_path")}
    assert phases["test_with_tmp_path"] == ["setup", "call", "teardown"]  # not a direct test: pytest's protocol
    assert phases["test_document"] == (["setup", "call", "teardown"] if listening else ["call", "teardown"])
    assert all(r.passed for r in reports if r.when != "collect")
