"""results.json as docs/results.md describes it: the run, its status and why, the summary counts.

A third party reads this file to decide; each field is checked against its documented meaning.
"""

from __future__ import annotations

import json
import platform
import re
import sys
import uuid
from pathlib import Path

import pytest

import harness
from harness.core.verdicts import Verdict

from ..conftest import CANDIDATE, run_trust_suite

SUITE = """
import pytest

@pytest.mark.requirement("TRUST-MUST-1")
def test_one(enrs):
    enrs.artefact("doc-1.xml", b"<doc/>")

@pytest.mark.requirement("TRUST-MUST-2")
def test_two(enrs):
    enrs.artefact("doc-1.xml", b"<doc/>")  # the same artefact, listed once
    enrs.artefact("doc-2.xml", b"<doc>2</doc>", kind="cda", verdict="PASSED")

@pytest.mark.requirement("TRUST-SHOULD-1")
def test_should():
    assert False, "recommended header missing"
"""
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_a_complete_run(pytester: pytest.Pytester, trust_packs: Path) -> None:
    results = run_trust_suite(pytester, trust_packs, SUITE)
    assert results["schema"] == "enrs-harness/results/1"
    run = results["run"]
    assert uuid.UUID(run["id"]).version == 4
    assert (run["status"], run["complete"], run["incomplete_reason"], run["pytest_exit_status"]) == ("complete", True, None, 1)
    assert ISO_UTC.match(run["started"]) and ISO_UTC.match(run["finished"]) and run["started"] <= run["finished"]
    assert (run["harness_version"], run["lang"], run["kit"]) == (harness.__version__, "fr", None)
    assert run["platform"] == {"python": sys.version.split()[0], "implementation": platform.python_implementation(),
                               "system": platform.system(), "release": platform.release(), "machine": platform.machine()}
    assert "--enrs-profile" in run["command"] and "trust" in run["command"]
    assert results["candidate"]["name"] == CANDIDATE
    assert [p["id"] for p in results["profiles"]] == ["trust"]
    assert [t["nodeid"].split("::")[1] for t in results["tests"]] == ["test_one", "test_two", "test_should"]
    assert sorted((a["name"], a["kind"], a["verdict"]) for a in results["artefacts"]) == [
        ("doc-1.xml", None, None), ("doc-2.xml", "cda", "PASSED")]
    assert results["waivers"] == []
    summary = results["summary"]
    assert summary["verdicts"] == {**{str(v): 0 for v in Verdict}, "PASSED": 2, "FAILED": 1}
    assert (summary["failed_must"], summary["failed_should"], summary["blocking"], summary["certificate_issued"]) == (0, 1, [], True)
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(harness.__file__).parent / "schemas" / "results.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(results, schema)


def test_the_file_says_running_while_the_run_goes_on(pytester: pytest.Pytester, trust_packs: Path) -> None:
    source = """
    import json, pathlib, pytest

    @pytest.mark.requirement("TRUST-MUST-1", "TRUST-MUST-2", "TRUST-SHOULD-1")
    def test_reads_its_own_results(pytestconfig):
        run_dir = pathlib.Path(pytestconfig.getoption("enrs_run_dir"))
        (run_dir.parent / "snapshot.json").write_text((run_dir / "results.json").read_text(encoding="utf-8"), encoding="utf-8")
    """
    final = run_trust_suite(pytester, trust_packs, source)
    snapshot = json.loads((pytester.path / "snapshot.json").read_text(encoding="utf-8"))
    assert (snapshot["run"]["status"], snapshot["run"]["complete"]) == ("running", False)
    assert snapshot["run"]["incomplete_reason"] == "l'exécution des tests n'est pas terminée / the test run has not finished"
    assert snapshot["run"]["finished"] is None and snapshot["summary"]["certificate_issued"] is False
    assert final["run"]["status"] == "complete" and final["summary"]["certificate_issued"] is True


@pytest.mark.parametrize(("source", "exit_status", "reason"), [
    ("def test_broken(:\n    pass\n", 2, "run interrupted (Ctrl-C or an error collecting the tests); pytest ended with exit status 2"),
    ("# no test here\n", 5, "no test collected; pytest ended with exit status 5"),
])
def test_an_interrupted_run_says_why_and_gets_no_certificate(pytester: pytest.Pytester, trust_packs: Path,
                                                            source: str, exit_status: int, reason: str) -> None:
    results = run_trust_suite(pytester, trust_packs, source)
    run = results["run"]
    assert (run["status"], run["complete"], run["pytest_exit_status"]) == ("interrupted", False, exit_status)
    assert run["incomplete_reason"].endswith(reason)
    assert run["incomplete_reason"].startswith(("exécution interrompue", "aucun test collecté"))
    assert results["summary"]["certificate_issued"] is False


def test_a_run_stopped_early_is_interrupted(pytester: pytest.Pytester, trust_packs: Path) -> None:
    source = """
    import pytest

    @pytest.mark.requirement("TRUST-SHOULD-1")
    def test_first():
        assert False

    @pytest.mark.requirement("TRUST-MUST-1", "TRUST-MUST-2")
    def test_second():
        pass
    """
    results = run_trust_suite(pytester, trust_packs, source, "-x")
    run = results["run"]
    assert (run["status"], run["complete"], run["pytest_exit_status"]) == ("interrupted", False, 1)
    assert run["incomplete_reason"].startswith("arrêt anticipé / stopped early: ")
    assert results["summary"]["certificate_issued"] is False


def test_tests_that_never_ran_make_the_run_interrupted_and_are_named(pytester: pytest.Pytester, trust_packs: Path) -> None:
    source = "import pytest\n" + "".join(f'\n@pytest.mark.requirement("TRUST-MUST-1")\ndef test_{n}():\n    pass\n' for n in range(6))
    results = run_trust_suite(pytester, trust_packs, source, "--setup-only")  # set up, never called
    run = results["run"]
    assert (run["status"], run["complete"], run["pytest_exit_status"]) == ("interrupted", False, 0)
    listed = run["incomplete_reason"].removeprefix("tests non terminés / unfinished tests: ").split(", ")
    assert [n.split("::")[1] for n in listed] == [f"test_{n}" for n in range(5)]  # the first five
    assert results["summary"]["certificate_issued"] is False


def test_an_exit_status_pytest_does_not_name_is_still_said(pytester: pytest.Pytester, trust_packs: Path) -> None:
    source = """
    import pytest

    @pytest.mark.requirement("TRUST-MUST-1", "TRUST-MUST-2", "TRUST-SHOULD-1")
    def test_stops_everything():
        pytest.exit("a plugin stops the run", returncode=7)
    """
    results = run_trust_suite(pytester, trust_packs, source)
    run = results["run"]
    assert (run["status"], run["pytest_exit_status"]) == ("interrupted", 7)
    assert run["incomplete_reason"] == "pytest a terminé avec le code 7 / pytest ended with exit status 7"
    assert results["summary"]["certificate_issued"] is False


def test_scope_blocking_ignored_and_other_candidates_waivers(pytester: pytest.Pytester, trust_packs: Path) -> None:
    source = """
    import pytest

    @pytest.mark.requirement("TRUST-MUST-1", "TRUST-SHOULD-1")
    def test_one():
        pass
    """
    waivers = pytester.path / "waivers.toml"
    common = 'requirement = "TRUST-MUST-1"\njustification = "accepté"\napprover = "ARS Exemple"\nexpires = 2099-12-31\n'
    waivers.write_text(f'[[waivers]]\ncandidate = "{CANDIDATE}"\nversion = "1.0"\n{common}\n'  # this candidate and version: not counted
                       f'[[waivers]]\ncandidate = "DPI Concurrent"\n{common}', encoding="utf-8")
    results = run_trust_suite(pytester, trust_packs, source, "--enrs-waivers", str(waivers))
    assert results["waivers_other_candidates"] == 1
    assert (results["scope"]["declared"], results["scope"]["profiles"]) == (False, ["trust"])
    [row] = [r for r in results["requirements"] if r["id"] == "TRUST-MUST-2"]
    assert row["verdict"] == "NOT_TESTED" and row["reason"]["en"].startswith("no test of this run evaluates it (suite:trust)")
    assert [(b["kind"], b["id"], b["verdict"]) for b in results["blocking"]] == [("requirement", "TRUST-MUST-2", "NOT_TESTED")]
    summary = results["summary"]
    assert (summary["blocking"], summary["blocking_count"], summary["ignored_count"], results["ignored"]) == (["TRUST-MUST-2"], 1, 0, [])
    assert summary["certificate_issued"] is False
