"""The pytest plugin end to end, with pytester: markers, verdicts, evidence, outputs."""

from __future__ import annotations

import gc
import hashlib
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ..conftest import write

pytest_plugins = ["pytester"]
REPO = Path(__file__).resolve().parents[2]


def run_suite(pytester: pytest.Pytester, packs_dir: Path, source: str, *args: str,
              subprocess: bool = False) -> tuple[pytest.RunResult, Path, dict[str, Any]]:
    """Run a suite through the plugin; `subprocess` for runs that must not touch this process (Ctrl-C)."""
    pytester.makepyfile(test_suite=source)
    run_dir = pytester.path / "run"
    runner = pytester.runpytest_subprocess if subprocess else pytester.runpytest
    result = runner("-p", "no:cacheprovider", "--enrs-profiles-dir", str(packs_dir), "--enrs-run-dir", str(run_dir), *args)
    results = json.loads((run_dir / "results.json").read_text()) if (run_dir / "results.json").exists() else {}
    return result, run_dir, results


def report_data(path: Path) -> str:
    """The test data pytest-html embeds in its report, as JSON text."""
    blob = re.search(r'data-jsonblob="([^"]*)"', path.read_text()).group(1)
    return json.dumps(json.loads(html.unescape(blob)), ensure_ascii=False)


def verdicts(results: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in results["requirements"]}


ALL_VERDICTS = """
import pytest

@pytest.mark.requirement("DEMO-MUST-1")
def test_passes():
    pass

@pytest.mark.requirement("DEMO-MUST-1", "DEMO-SHOULD-1")
def test_fails():
    assert 1 + 1 == 3, "arithmetic"

@pytest.mark.requirement("DEMO-MUST-2")
def test_aborted(enrs):
    enrs.abort("endpoint unreachable")

@pytest.mark.requirement("DEMO-MUST-2")
def test_passes_too():
    pass

@pytest.mark.requirement("OTHER-1")
def test_not_applicable(enrs):
    enrs.not_applicable("no MLLP endpoint")
"""


def test_each_requirement_gets_the_aggregated_verdict_of_its_tests(pytester: pytest.Pytester, packs_dir: Path) -> None:
    result, run_dir, results = run_suite(pytester, packs_dir, ALL_VERDICTS, "--enrs-profile", "demo", "--enrs-profile", "other")
    assert result.ret == 1
    assert verdicts(results) == {"DEMO-MUST-1": "FAILED", "DEMO-SHOULD-1": "FAILED", "DEMO-MUST-2": "ABORTED", "OTHER-1": "NOT_APPLICABLE"}
    failed = next(r for r in results["requirements"] if r["id"] == "DEMO-MUST-1")
    deciding_first = ["test_suite.py::test_fails", "test_suite.py::test_passes"]
    assert [t.rsplit("/", 1)[-1] for t in failed["tests"]] == deciding_first
    assert failed["tests_count"] == 2
    assert "arithmetic" in failed["reasons"][0]["reason"]
    aborted = next(r for r in results["requirements"] if r["id"] == "DEMO-MUST-2")
    assert aborted["reasons"][0]["reason"] == "Aborted: endpoint unreachable"
    tests = {t["nodeid"].split("::")[1]: t["verdict"] for t in results["tests"]}
    assert tests == {"test_passes": "PASSED", "test_fails": "FAILED", "test_aborted": "ABORTED",
                     "test_passes_too": "PASSED", "test_not_applicable": "NOT_APPLICABLE"}


def test_a_run_exempts_its_long_lived_objects_from_garbage_collection_only_while_it_runs(pytester: pytest.Pytester,
                                                                                          packs_dir: Path) -> None:
    source = """
    import gc, pytest

    @pytest.mark.requirement("DEMO-MUST-1")
    def test_sees_the_frozen_objects():
        assert gc.get_freeze_count() > 0 and gc.get_threshold()[0] == 10_000
    """
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0 and before[0] < 10_000
    result, _, results = run_suite(pytester, packs_dir, source, "--enrs-profile", "demo")
    assert result.ret == 0 and results["tests"][0]["verdict"] == "PASSED"
    # unfrozen and restored at the end: a process running several sessions can collect them
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before


def test_the_cleanups_of_pytest_and_its_plugins_still_see_the_run_frozen(pytester: pytest.Pytester, packs_dir: Path) -> None:
    """pytest (8.4+) collects garbage in a cleanup, looking for unraisable exceptions: the run's objects are still frozen
    then (a collection of the whole heap at the end cost 0.07 s on 940 documents)."""
    pytester.makeconftest("""
    import gc, pytest

    @pytest.hookimpl(trylast=True)
    def pytest_configure(config):
        config.add_cleanup(lambda: print("frozen at cleanup:", gc.get_freeze_count() > 0))
    """)
    source = """
    import pytest

    @pytest.mark.requirement("DEMO-MUST-1")
    def test_passes():
        pass
    """
    result, _, _ = run_suite(pytester, packs_dir, source, "--enrs-profile", "demo", "-s")
    assert result.ret == 0 and gc.get_freeze_count() == 0
    result.stdout.fnmatch_lines(["*frozen at cleanup: True*"])

def test_unexpected_errors_and_setup_errors_are_aborted_and_untested_requirements_say_so(
        pytester: pytest.Pytester, packs_dir: Path) -> None:
    source = """
import pytest

@pytest.fixture
def broken():
    raise ConnectionRefusedError("no route")

@pytest.mark.requirement("DEMO-MUST-1")
def test_setup_error(broken):
    pass

@pytest.mark.requirement("DEMO-MUST-2")
def test_crashes():
    {}["missing"]
"""
    result, _, results = run_suite(pytester, packs_dir, source, "--enrs-profile", "demo")
    assert verdicts(results) == {"DEMO-MUST-1": "ABORTED", "DEMO-MUST-2": "ABORTED", "DEMO-SHOULD-1": "NOT_TESTED"}
    reasons = {r["id"]: r["reasons"][0]["reason"] for r in results["requirements"] if r["reasons"]}
    assert "ConnectionRefusedError: no route" in reasons["DEMO-MUST-1"]
    assert "KeyError" in reasons["DEMO-MUST-2"]
    assert results["summary"]["certificate_issued"] is False


def test_an_unknown_requirement_id_is_a_collection_error(pytester: pytest.Pytester, packs_dir: Path) -> None:
    source = """
import pytest

@pytest.mark.requirement("DEMO-MUST-1", "DEMO-NOPE-9")
def test_typo():
    pass

@pytest.mark.selected_with("demo", "nope")
def test_pack_typo():
    pass
"""
    pytester.makepyfile(test_suite=source)
    result = pytester.runpytest("-p", "no:cacheprovider", "--enrs-profiles-dir", str(packs_dir))
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting*test_suite.py*", "*test_typo: exigence inconnue / unknown requirement: DEMO-NOPE-9*",
                                 "*test_pack_typo: profil inconnu / unknown profile: nope*"])


def test_selected_profiles_deselect_tests_of_other_profiles(pytester: pytest.Pytester, packs_dir: Path) -> None:
    source = """
import pytest

@pytest.mark.requirement("DEMO-MUST-1")
def test_demo():
    pass

@pytest.mark.requirement("OTHER-1")
def test_other():
    raise AssertionError("must not run")

@pytest.mark.profile("other")
def test_other_pack():
    raise AssertionError("must not run")

@pytest.mark.selected_with("other")
def test_runs_with_other():
    raise AssertionError("must not run")

@pytest.mark.selected_with("other", "demo")
def test_runs_with_other_or_demo():
    pass
"""
    result, _, results = run_suite(pytester, packs_dir, source, "--enrs-profile", "demo")
    result.assert_outcomes(passed=2, deselected=3)
    assert [p["id"] for p in results["profiles"]] == ["demo"]
    assert "OTHER-1" not in verdicts(results)


def test_explicit_verdicts_from_a_profile_test(pytester: pytest.Pytester, packs_dir: Path) -> None:
    source = """
import pytest
from harness.core.verdicts import Verdict

@pytest.mark.profile("demo")
def test_many(enrs):
    enrs.requirement("DEMO-MUST-1", Verdict.PASSED)
    enrs.requirement("DEMO-MUST-2", Verdict.FAILED, "missing element")
    enrs.requirement("DEMO-MUST-2", Verdict.PASSED)  # a failure is never overwritten
    with pytest.raises(KeyError):
        enrs.requirement("DEMO-UNKNOWN", Verdict.PASSED)
"""
    _, run_dir, results = run_suite(pytester, packs_dir, source, "--enrs-profile", "demo")
    assert verdicts(results) == {"DEMO-MUST-1": "PASSED", "DEMO-MUST-2": "FAILED", "DEMO-SHOULD-1": "NOT_TESTED"}
    report = report_data(run_dir / "report.html")
    assert ">DEMO-MUST-2</code>" in report and ">DEMO-MUST-1</code>" not in report  # the broken requirement is shown, not the passed one


CONFORMING = """
import pytest

@pytest.mark.requirement("DEMO-MUST-1")
def test_one(enrs):
    enrs.artefact("cda-1.xml", b"<ClinicalDocument/>")
    enrs.evidence("excerpt", "MSA|AA|MSG0001")

@pytest.mark.requirement("DEMO-MUST-2")
def test_two(enrs):
    enrs.exchange("ACK", b"MSH|^~\\\\&|", b"MSA|AA|1")

@pytest.mark.requirement("DEMO-SHOULD-1")
def test_should():
    assert False, "recommended header missing"
"""


def test_certificate_issued_when_every_must_passed_even_with_a_failed_should(pytester: pytest.Pytester, packs_dir: Path) -> None:
    result, run_dir, results = run_suite(pytester, packs_dir, CONFORMING, "--enrs-profile", "demo")
    assert {p.name for p in run_dir.iterdir()} == {"results.json", "report.html", "junit.xml", "certificate.html"}
    assert results["run"]["status"] == "complete" and results["run"]["complete"] is True
    assert results["summary"]["certificate_issued"] is True
    assert results["summary"]["failed_should"] == 1 and results["summary"]["failed_must"] == 0
    digest = hashlib.sha256(b"<ClinicalDocument/>").hexdigest()
    assert results["artefacts"] == [{"name": "cda-1.xml", "sha256": digest, "size": 19, "kind": None, "verdict": None, "reason": None,
                                     "profile": None}]
    certificate = (run_dir / "certificate.html").read_text()
    assert "<h1>Certificat de conformité</h1>" in certificate and 'data-issued="true"' in certificate
    assert digest in certificate and "DEMO-SHOULD-1" in certificate
    report = report_data(run_dir / "report.html")
    for expected in ("DEMO-MUST-1", "Document de démonstration 1.0, 1.1", "MSA|AA|MSG0001", digest):
        assert expected in report
    junit = (run_dir / "junit.xml").read_text()
    assert 'tests="3"' in junit and 'failures="1"' in junit


def test_certificate_refused_when_a_must_failed_and_english_page(pytester: pytest.Pytester, packs_dir: Path) -> None:
    source = CONFORMING.replace('enrs.evidence("excerpt", "MSA|AA|MSG0001")', 'assert False, "no ACK"')
    _, run_dir, results = run_suite(pytester, packs_dir, source, "--enrs-profile", "demo", "--enrs-lang", "en")
    assert results["summary"]["certificate_issued"] is False
    assert results["summary"]["blocking"] == ["DEMO-MUST-1"]
    certificate = (run_dir / "certificate.html").read_text()
    assert "<h1>Non-conformity report</h1>" in certificate and "Conformance certificate" not in certificate
    assert 'data-issued="false"' in certificate and 'data-verdict="FAILED"' in certificate


def test_certificate_refused_when_a_must_requirement_was_not_tested(pytester: pytest.Pytester, packs_dir: Path) -> None:
    source = CONFORMING.replace('@pytest.mark.requirement("DEMO-MUST-2")\n', "")
    _, _, results = run_suite(pytester, packs_dir, source, "--enrs-profile", "demo")
    assert verdicts(results)["DEMO-MUST-2"] == "NOT_TESTED"
    assert results["summary"]["certificate_issued"] is False


def test_an_interrupted_run_is_marked_incomplete_and_gets_no_certificate(
        pytester: pytest.Pytester, packs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the subprocess imports this checkout's harness
    source = CONFORMING.replace('assert False, "recommended header missing"', "raise KeyboardInterrupt")
    result, run_dir, results = run_suite(pytester, packs_dir, source, "--enrs-profile", "demo", subprocess=True)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert results["run"]["status"] == "interrupted" and results["run"]["complete"] is False
    assert results["summary"]["certificate_issued"] is False
    unjudged = [r for r in results["requirements"] if r["verdict"] == "NOT_TESTED"]
    assert unjudged and all(r["reason"]["fr"] == "l'exécution s'est arrêtée avant de l'évaluer" for r in unjudged)
    certificate = (run_dir / "certificate.html").read_text()
    assert "exécution incomplète" in certificate and "campagne" not in certificate and 'data-issued="false"' in certificate
    assert not list(run_dir.glob(".*"))  # no partial file left behind


def test_a_killed_run_leaves_results_marked_running_and_no_half_written_file(tmp_path: Path, packs_dir: Path) -> None:
    suite = write(tmp_path / "suite" / "test_slow.py", """
        import pytest, time

        @pytest.mark.requirement("DEMO-MUST-1")
        def test_first():
            pass

        @pytest.mark.requirement("DEMO-MUST-2")
        def test_hangs():
            time.sleep(60)
    """)
    run_dir = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", str(suite), "-p", "no:cacheprovider", "--enrs-profiles-dir",
         str(packs_dir), "--enrs-profile", "demo", "--enrs-run-dir", str(run_dir)],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (run_dir / "results.json").exists():
            time.sleep(0.1)
        time.sleep(1.0)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    results = json.loads((run_dir / "results.json").read_text())
    assert results["run"]["status"] == "running" and results["run"]["complete"] is False
    assert results["summary"]["certificate_issued"] is False
    pending = next(r for r in results["requirements"] if r["id"] == "DEMO-MUST-2")
    assert pending["verdict"] == "NOT_TESTED" and pending["reason"]["en"] == "not evaluated yet (run in progress)"
    assert not (run_dir / "certificate.html").exists() and not (run_dir / "report.html").exists()


SNAPSHOT_EVERY_TEST = ("import sys, pytest, harness.run.plugin as plugin; "
                       "plugin.RESULTS_FLUSH_SECONDS = plugin.RESULTS_FLUSH_COST_FACTOR = 0; sys.exit(pytest.main(sys.argv[1:]))")


def test_a_run_killed_among_the_documents_leaves_the_documents_judged_so_far(tmp_path: Path) -> None:
    """The snapshots of results.json are amortised (plugin.RESULTS_FLUSH_*): with the bound set to zero, a run killed
    while it judges documents misses at most the document being judged; the others are there with their evidence."""
    documents = tmp_path / "documents"
    documents.mkdir()
    for copy in range(3):
        for fixture in sorted((REPO / "fixtures" / "conforming" / "cda").glob("*.xml")):
            (documents / f"{copy}-{fixture.name}").write_bytes(fixture.read_bytes())
    judged = tmp_path / "judged"
    judged.mkdir()
    suite = write(tmp_path / "suite" / "test_slow_documents.py", f"""
        import pathlib, time

        def test_document(enrs_document, enrs, enrs_validation):
            enrs.artefact_report(enrs_document.validate(enrs_validation), display_name=enrs_document.name)
            (pathlib.Path({str(judged)!r}) / enrs_document.name).write_text("judged")
            time.sleep(0.3)
    """)
    run_dir = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-c", SNAPSHOT_EVERY_TEST, str(suite), "-p", "no:cacheprovider", "--enrs-profile", "ci-sis-cda-structure",
         "--enrs-documents", str(documents), "--enrs-run-dir", str(run_dir)],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(list(judged.iterdir())) < 4:
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    done = {p.name for p in judged.iterdir()}
    results = json.loads((run_dir / "results.json").read_text())
    assert results["run"]["status"] == "running" and results["summary"]["certificate_issued"] is False
    recorded = {t["nodeid"].partition("[")[2].rstrip("]"): t for t in results["tests"]}
    assert 4 <= len(done) < 18 and len(recorded) >= len(done) - 1 and set(recorded) <= done
    for test in recorded.values():
        assert test["verdict"] == "PASSED" and test["evidence"][0]["content"]["verdict"] == "PASSED"
    assert {a["name"] for a in results["artefacts"]} == set(recorded)
    structure = next(r for r in results["requirements"] if r["id"] == "CDA-ROOT")
    assert structure["verdict"] == "PASSED" and structure["tests_count"] == len(recorded)


def test_secrets_of_the_target_never_reach_any_output(pytester: pytest.Pytester, packs_dir: Path) -> None:
    target = write(pytester.path / "target.toml", """
        [candidate]
        name = "Candidat"
        vendor = "Éditeur"
        version = "1"

        [tls]
        client_key_password = "Pa55-w0rd-XYZ"
    """)
    source = """
import pytest

@pytest.mark.requirement("DEMO-MUST-1")
def test_leaky(enrs, enrs_target):
    secret = enrs_target.tls.client_key_password
    enrs.evidence("config", f"key password {secret}")
    enrs.evidence("data", {"password": secret})
    print("stdout", secret)
    assert False, f"failed with {secret}"
"""
    _, run_dir, results = run_suite(pytester, packs_dir, source, "--enrs-profile", "demo", "--enrs-target", str(target))
    assert results["candidate"]["configuration"]["tls"]["client_key_password"] == "***"
    for path in run_dir.iterdir():
        assert "Pa55-w0rd-XYZ" not in path.read_text(), path.name


def test_a_broken_pack_stops_the_run_with_a_clear_message(pytester: pytest.Pytester, tmp_path: Path) -> None:
    broken = write(tmp_path / "bad" / "bad.toml", "[pack]\nid = 'bad'\n")
    pytester.makepyfile(test_x="def test_x(): pass")
    result = pytester.runpytest("-p", "no:cacheprovider", "--enrs-profiles-dir", str(broken.parent), "--enrs-run-dir", str(tmp_path / "r"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert str(broken) in result.stderr.str() and "[pack]" in result.stderr.str()


def test_without_enrs_options_the_plugin_writes_nothing(pytester: pytest.Pytester, packs_dir: Path) -> None:
    pytester.makepyfile(test_x="import pytest\n@pytest.mark.requirement('DEMO-MUST-1')\ndef test_x(): pass")
    result = pytester.runpytest("-p", "no:cacheprovider", "--enrs-profiles-dir", str(packs_dir))
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "reports").exists()


def test_results_follow_the_documented_schema(pytester: pytest.Pytester, packs_dir: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    _, _, results = run_suite(pytester, packs_dir, ALL_VERDICTS, "--enrs-profile", "demo", "--enrs-profile", "other")
    schema = json.loads((REPO / "harness" / "schemas" / "results.schema.json").read_text())
    jsonschema.validate(results, schema)


def test_a_target_claiming_an_opt_in_pack_selects_it_with_the_defaults(pytester: pytest.Pytester, packs_dir: Path) -> None:
    """Without --enrs-profile, the packs are the default selection plus the opt-in ones the target's [scope] claims
    (pytest used directly, as `enrs-harness run` does)."""
    other = packs_dir / "other.toml"
    other.write_text(other.read_text().replace("[pack]\n", "[pack]\nopt_in = true\n", 1))
    source = """
import pytest

@pytest.mark.requirement("DEMO-MUST-1")
def test_demo():
    pass

@pytest.mark.requirement("OTHER-1")
def test_other():
    pass
"""

    def target(claimed: list[str]) -> str:
        path = pytester.path / f"target-{len(claimed)}.toml"
        path.write_text('[candidate]\nname = "LPS"\nvendor = "Editeur"\nversion = "1.0"\n\n'
                        f'[scope]\nprofiles = {json.dumps(claimed)}\n', encoding="utf-8")
        return str(path)

    result, _, results = run_suite(pytester, packs_dir, source, "--enrs-target", target(["demo", "other"]))
    result.assert_outcomes(passed=2)
    assert {"demo", "other"} <= {p["id"] for p in results["profiles"]} and verdicts(results)["OTHER-1"] == "PASSED"
    result, _, results = run_suite(pytester, packs_dir, source, "--enrs-target", target(["demo"]))
    result.assert_outcomes(passed=1, deselected=1)  # not claimed: an opt-in pack stays out
    assert "other" not in {p["id"] for p in results["profiles"]}


def test_the_enrs_fixture_records_for_the_running_test_without_pytests_request(pytester: pytest.Pytester, packs_dir: Path) -> None:
    source = """
import inspect

import pytest

@pytest.fixture
def shared(enrs):
    enrs.evidence("from a fixture", "set up")

@pytest.mark.requirement("DEMO-MUST-1")
def test_one(shared, enrs, request):
    # pytest builds a fixture definition for `request` at every test asking for it: enrs does not ask for it
    from harness.run import plugin
    fixture = getattr(plugin.enrs, "_get_wrapped_function", lambda: plugin.enrs)()  # pytest >= 8.4 wraps fixtures
    assert "request" not in inspect.signature(fixture).parameters and request.node.name == "test_one"
    enrs.evidence("one", "1")

@pytest.mark.requirement("DEMO-MUST-2")
def test_two(enrs):
    enrs.evidence("two", "2")
"""
    result, _, results = run_suite(pytester, packs_dir, source, "--enrs-profile", "demo")
    result.assert_outcomes(passed=2)
    evidence = {t["nodeid"].split("::")[1]: [e["content"] for e in t["evidence"]] for t in results["tests"]}
    assert evidence == {"test_one": ["set up", "1"], "test_two": ["2"]}


def _json_native(value: Any, where: str = "$") -> list[str]:
    """Where `value` holds something JSON would write as another type (a tuple, a date, a Path): strings, numbers,
    booleans, None, lists and dicts with string keys only."""
    if isinstance(value, dict):
        return [f"{where}: key {k!r}" for k in value if not isinstance(k, str)] + [
            p for k, v in value.items() for p in _json_native(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for n, v in enumerate(value) for p in _json_native(v, f"{where}[{n}]")]
    return [] if value is None or isinstance(value, (str, int, float)) else [f"{where}: {type(value).__name__}"]


def test_the_final_results_in_memory_are_what_results_json_says(pytester: pytest.Pytester, packs_dir: Path) -> None:
    """`enrs-harness run` prints its summary from the session's final results, not from results.json read back: they
    must be the file's content, type for type (a waiver's dates, the candidate's paths, the blocking items), but the
    lists of tests and artefacts, which the summary does not read."""
    waivers = write(pytester.path / "waivers.toml", """
        [[waivers]]
        requirement = "DEMO-MUST-1"
        candidate = "DPI Exemple"
        justification = "Accepté / accepted"
        approver = "ARS Exemple"
        expires = 2099-12-31
        """)
    target = write(pytester.path / "target.toml", '[candidate]\nname = "DPI Exemple"\nvendor = "Éditeur"\nversion = "1.0"\n')
    pytester.makepyfile(test_suite=ALL_VERDICTS)
    run_dir = pytester.path / "run"
    recorded = pytester.inline_run("-p", "no:cacheprovider", "--enrs-profiles-dir", str(packs_dir), "--enrs-run-dir", str(run_dir),
                                   "--enrs-profile", "demo", "--enrs-profile", "other", "--enrs-target", str(target),
                                   "--enrs-waivers", str(waivers))
    from harness.run.plugin import session_of

    in_memory = session_of(recorded.getcall("pytest_unconfigure").config).final_results
    written = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    assert in_memory is not None and [w["status"] for w in in_memory["waivers"]] == ["applied"] and in_memory["blocking"]
    assert _json_native(in_memory) == []
    assert written["tests"] and set(written) - set(in_memory) == {"tests", "artefacts"}
    assert in_memory == {key: value for key, value in written.items() if key not in ("tests", "artefacts")}


def test_the_embedded_simulator_starts_only_when_a_selected_test_addresses_the_candidate(pytester: pytest.Pytester,
                                                                                          packs_dir: Path) -> None:
    """Without a target file the candidate is the embedded simulator: started at the end of the collection when a
    selected test asks for `enrs_target`; otherwise results.json says it was not started and lists no endpoint."""
    source = """
import pytest

@pytest.mark.requirement("DEMO-MUST-1")
def test_demo():
    pass

@pytest.mark.requirement("OTHER-1")
def test_other(enrs_target):
    assert enrs_target.endpoints
"""
    result, _, results = run_suite(pytester, packs_dir, source, "--enrs-profile", "demo")
    result.assert_outcomes(passed=1, deselected=1)
    candidate = results["candidate"]
    assert candidate["name"] == "Simulateur ENRS de référence / reference ENRS simulator" and candidate["embedded"] is True
    assert candidate["endpoints"] == [] and candidate["configuration"] == {}
    assert candidate["not_started"] == ("simulateur de référence non démarré : aucun test sélectionné ne s'adresse à ses points "
                                        "d'accès / reference simulator not started: no selected test addresses its endpoints")

    result, _, results = run_suite(pytester, packs_dir, source, "--enrs-profile", "demo", "--enrs-profile", "other")
    result.assert_outcomes(passed=2)
    candidate = results["candidate"]
    assert "not_started" not in candidate and candidate["name"] == "Simulateur ENRS de référence / reference ENRS simulator"
    assert {e["name"] for e in candidate["endpoints"]} == {"mllp", "mllp-tls", "https", "smtp"}
    assert candidate["configuration"]["xds"]["role"] == "registry-repository"


def test_a_simulator_that_cannot_start_aborts_the_tests_needing_it_with_the_reason(pytester: pytest.Pytester, packs_dir: Path,
                                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import harness.simulator

    def refuse(**_: object) -> None:
        raise OSError("no port")

    monkeypatch.setattr(harness.simulator, "start_embedded", refuse)
    source = """
import pytest

@pytest.mark.requirement("DEMO-MUST-1")
def test_demo():
    pass

@pytest.mark.requirement("OTHER-1")
def test_other(enrs_target):
    pass
"""
    result, _, results = run_suite(pytester, packs_dir, source, "--enrs-profile", "demo", "--enrs-profile", "other")
    result.assert_outcomes(passed=1, errors=1)
    test = next(t for t in results["tests"] if t["nodeid"].endswith("test_other"))
    assert test["verdict"] == "ABORTED"
    assert "the reference simulator could not start on 127.0.0.1: no port" in test["reason"]
    assert verdicts(results)["OTHER-1"] == "ABORTED" and results["summary"]["certificate_issued"] is False
