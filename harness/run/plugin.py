"""The pytest plugin of enrs-harness (registered through the `pytest11` entry point).

It links tests to requirements (`@pytest.mark.requirement`), gives each requirement of the
selected profile packs a verdict, gathers evidence and writes a run folder: report.html
(pytest-html), junit.xml, results.json and certificate.html. It serves `enrs-harness run` and
plain `pytest suites/ --enrs-profile ID` alike; without any --enrs-* option it only checks markers.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Generator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from harness.certificates.signing import Signer
from harness.config.packs import PackRegistry, ProfilePack
from harness.config.scope import Scope
from harness.config.target import Endpoint, Target, load_target, unstarted_simulator
from harness.core.collector import raise_young_threshold
from harness.core.errors import HarnessError
from harness.core.verdicts import Verdict
from harness.run.folder import RunWriter, new_run_dir
from harness.run.outcomes import Aborted, NotApplicable
from harness.run.recorder import Recorder, TestRecord
from harness.run.waivers import Waiver, load_waivers
from harness.validation.dispatch import Ignored, vihf_trust_store

SESSION_KEY = pytest.StashKey["EnrsSession"]()
# A snapshot of results.json is written when a test ends at least RESULTS_FLUSH_SECONDS after the last one, and
# RESULTS_FLUSH_COST_FACTOR times as long as that one took (its cost grows with the run): snapshots cost at most
# ~3 % of the run, and a killed run's results.json misses at most the tests ended in the last max(5 s, 30 x that cost)
# (docs/results.md). An interrupted run that pytest can still end (Ctrl-C, -x) writes the final file with what ran.
RESULTS_FLUSH_SECONDS = 5.0
RESULTS_FLUSH_COST_FACTOR = 30
PER_TEST_RESULTS = ("tests", "artefacts")  # the parts of results.json that grow with the run's tests (EnrsSession.final_results)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("enrs", "enrs-harness conformance")
    group.addoption("--enrs-profile", action="append", default=[], metavar="ID",
                    help="profile pack to evaluate (repeatable; default: all loaded packs)")
    group.addoption("--enrs-profiles-dir", action="append", default=[], metavar="DIR", help="extra folder of profile packs (repeatable)")
    group.addoption("--enrs-target", metavar="FILE", help="target file (TOML) describing the candidate system")
    group.addoption("--enrs-allow-dir", action="append", default=[], metavar="DIR",
                    help="folder the target file's document paths may point into, besides the target file's own (repeatable)")
    group.addoption("--enrs-documents", action="append", default=[], metavar="PATH",
                    help="documents and messages to validate (repeatable; overrides the target's)")
    group.addoption("--enrs-report-dir", metavar="DIR", help="folder under which the run folder <UTC timestamp>-<short id> is written")
    group.addoption("--enrs-run-dir", metavar="DIR", help="exact run folder to write (used by campaigns)")
    group.addoption("--enrs-kit", metavar="DIR",
                    help="folder laid out like the agency's CDA test kit: documents are also validated with it")
    group.addoption("--enrs-vihf-trust", metavar="PEM",
                    help="CA certificates (PEM) that may sign the VIHF assertions and DSG signatures of XDS artefacts")
    group.addoption("--enrs-volet-version", action="append", default=[], metavar="VOLET=VERSION",
                    help="a CDA volet's version when the document cannot say it (repeatable)")
    group.addoption("--enrs-sign-with", metavar="DIR", help="sign the certificate with the issuer of DIR (issuer-key.pem, issuer-cert.pem)")
    group.addoption("--enrs-waivers", metavar="FILE", help="waivers file: valid waivers turn FAILED requirements into WAIVED")
    group.addoption("--enrs-lang", choices=("fr", "en"), default="fr", help="language of the certificate and messages")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(*ids): requirement ids of the loaded profile packs this test evaluates")
    config.addinivalue_line("markers", "profile(*ids): profile packs whose requirements this test records verdicts for itself")
    config.addinivalue_line("markers", "selected_with(*ids): profile packs this test runs with: deselected when none is selected "
                                       "(it records verdicts of some of their requirements, not of whole packs)")
    session = EnrsSession(config)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "enrs-session")
    config.add_cleanup(session.restore_gc)  # runs after the cleanups registered later (pytest's last garbage collections)


def session_of(config: pytest.Config) -> EnrsSession:
    return config.stash[SESSION_KEY]


class EnrsSession:
    """State of one pytest session for the harness."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        opt = config.option
        self.lang: str = opt.enrs_lang
        self.active = bool(opt.enrs_profile or opt.enrs_report_dir or opt.enrs_run_dir or opt.enrs_target)
        self._registry: PackRegistry | None = None
        self._target: Target | None = None
        self._simulator: Any = None  # the embedded reference simulator, when the run has no target file and a test needs it
        self._simulator_failure: HarnessError | None = None  # why it could not start (each test needing it is ABORTED with it)
        self.records: dict[str, TestRecord] = {}
        self.writer: RunWriter | None = None
        self._next_flush = 0.0
        self.exitstatus: int | None = None
        self.incomplete_reason: str | None = None
        self.signer: Signer | None = None
        self.waivers: list[Waiver] = []
        self.ignored: list[Ignored] = []  # files the documents walk skipped (docs/results.md)
        self._scope: Scope | None = None
        self._selected_ids: frozenset[str] | None = None  # the ids of `selected`, asked of every collected test
        self._waived: set[str] | None = None  # requirement ids this candidate's valid waivers cover (report.html)
        self.running: pytest.Item | None = None  # the test being run (the `enrs` fixture's record)
        self._gc_threshold: tuple[int, int, int] | None = None  # the collector's before the run, while the run changes it
        # what the final results.json says, once written, but its lists of tests and artefacts (thousands of entries the
        # summary of `run` does not read: kept alive, pytest's last garbage collections would walk them)
        self.final_results: dict[str, Any] | None = None
        if self.active:
            try:
                # load and check the packs, the kit, the target and its scope now: errors are usage errors
                _ = self.selected
                _ = self.candidate
                _ = self.scope
                _ = self.volet_versions
                if opt.enrs_sign_with:
                    self.signer = Signer.load(Path(opt.enrs_sign_with))
                if opt.enrs_waivers:
                    self.waivers = load_waivers(Path(opt.enrs_waivers), set(self.registry.requirements))
            except HarnessError as exc:
                raise pytest.UsageError(exc.message(self.lang)) from None
            run_dir = Path(opt.enrs_run_dir) if opt.enrs_run_dir else new_run_dir(Path(opt.enrs_report_dir or "reports"))
            self.writer = RunWriter(run_dir, self)
            opt.htmlpath = str(self.writer.partial("report.html"))
            opt.self_contained_html = True
            opt.xmlpath = str(self.writer.partial("junit.xml"))

    # -- what the run evaluates ------------------------------------------------------------
    @property
    def registry(self) -> PackRegistry:
        if self._registry is None:
            dirs = [Path(d) for d in self.config.option.enrs_profiles_dir]
            if self.kit_dir is not None:  # kit mode (and Saxon) imported only when a kit is given
                from harness.cdakit.layout import with_kit_pack

                dirs = with_kit_pack(dirs, self.kit_dir)
            self._registry = PackRegistry.load(dirs)
        return self._registry

    @property
    def selected(self) -> list[ProfilePack]:
        """The packs of --enrs-profile; without any, the default selection plus the opt-in packs the target file's
        [scope] profiles claim (e.g. ci-sis-xds-dmp: the candidate's ITI-41 submissions go to the DMP)."""
        claimed: list[str] = []
        if not self.config.option.enrs_profile and self.config.option.enrs_target:
            scope = self.candidate.scope
            claimed = list(scope.profiles) if scope else []
        return self.registry.select(self.config.option.enrs_profile, claimed)

    @property
    def vihf_trust(self) -> Path | None:
        """The CA certificates (PEM) given with --enrs-vihf-trust: who may sign VIHF assertions and DSG signatures."""
        trust = self.config.option.enrs_vihf_trust
        return vihf_trust_store(Path(trust) if trust is not None else None)

    @property
    def kit_dir(self) -> Path | None:
        """The official CDA test kit given with --enrs-kit, if any."""
        kit = self.config.option.enrs_kit
        if kit is None:
            return None
        if not Path(kit).is_dir():
            raise HarnessError(f"dossier du kit introuvable : {kit}", f"kit folder not found: {kit}")
        return Path(kit)

    @property
    def volet_versions(self) -> dict[str, str]:
        """CDA volet versions given with --enrs-volet-version (volet name in upper case → version)."""
        from harness.cda.voletversion import parse_overrides

        return parse_overrides(self.config.option.enrs_volet_version)

    @property
    def candidate(self) -> Target:
        """The candidate the run reports: the target file's; without one, the reference simulator, as started, or
        before any selected test needed it, without endpoints and saying so (a documents-only run never starts it)."""
        if self._target is not None or self.config.option.enrs_target:
            return self.target()
        return unstarted_simulator()

    def target(self) -> Target:
        """The candidate system the tests address: the target file's; without one, the reference simulator, started (and
        harness.simulator imported) when first needed: at the end of the collection when a selected test asks for it.
        A method, not a property: pytest before 8.4 reads every attribute of a plugin object while looking for fixtures,
        which would start the simulator in every run."""
        if self._target is None:
            path = self.config.option.enrs_target
            if path:
                self._target = load_target(Path(path), [Path(d) for d in self.config.option.enrs_allow_dir])
            elif self._simulator_failure is not None:
                raise self._simulator_failure
            else:
                from harness.simulator import start_embedded

                try:
                    national = not (self.config.option.enrs_profiles_dir or self.config.option.enrs_kit)
                    self._simulator = start_embedded(registry=self.registry if national else None)  # packs loaded once
                except OSError as exc:
                    self._simulator_failure = HarnessError(f"le simulateur de référence n'a pas pu démarrer sur 127.0.0.1 : {exc}",
                                                           f"the reference simulator could not start on 127.0.0.1: {exc}")
                    raise self._simulator_failure from exc
                self._target = self._simulator.target()
        return self._target

    @property
    def scope(self) -> Scope:
        """The certification scope: the target's [scope] within the selected profiles (harness.config.scope)."""
        if self._scope is None:
            target = self.candidate
            self._scope = Scope.resolve(target.scope, self.selected, self.registry, str(target.source) if target.source else None,
                                        narrowed=bool(self.config.option.enrs_profile))
        return self._scope

    def stop_simulator(self) -> None:
        if self._simulator is not None:
            self._simulator.stop()
            self._simulator = None

    def documents(self) -> list[Path]:
        """The documents and messages the run validates: --enrs-documents, else the target's."""
        given = [Path(p) for p in self.config.option.enrs_documents]
        for path in given:
            if not path.exists():
                raise pytest.UsageError(HarnessError(f"introuvable : {path}", f"not found: {path}").message(self.lang))
        return given or list(self.candidate.documents)

    # -- collection ------------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        """An unknown requirement or profile id in a marker is an error of the module collecting it."""
        report = yield
        if report.passed:
            problems = [p for node in report.result if isinstance(node, pytest.Item) for p in self._marker_problems(node)]
            if problems:
                report.outcome = "failed"
                report.longrepr = "\n".join(problems)
                report.result = []
        return report

    def _marker_problems(self, item: pytest.Item) -> list[str]:
        problems = []
        requirements, packs, selected_with = _marker_ids(item)
        for requirement_id in requirements:
            if requirement_id not in self.registry.requirements:
                problems.append(f"{item.nodeid}: exigence inconnue / unknown requirement: {requirement_id}")
        for pack_id in dict.fromkeys(packs + selected_with):
            if pack_id not in self.registry.packs:
                problems.append(f"{item.nodeid}: profil inconnu / unknown profile: {pack_id}")
        return problems

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """Tests tied only to packs outside the selection (named with --enrs-profile, or opt-in packs no target claims)
        are deselected."""
        if len(self.selected_ids) == len(self.registry.packs):
            return
        keep: list[pytest.Item] = []
        drop: list[pytest.Item] = []
        for item in items:
            (keep if self.keeps(item) else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    def keeps(self, item: pytest.Item) -> bool:
        """Whether the run keeps this test: tied to no pack (by its `requirement`, `profile` and `selected_with` markers),
        or to a selected one. A suite's `pytest_generate_tests` asks it of `metafunc.definition` before parametrizing
        over the candidate's endpoints: a test the run drops needs no candidate (nor the embedded simulator started)."""
        requirements, packs, selected_with = _marker_ids(item)
        if not requirements and not packs and not selected_with:
            return True
        tied = {self.registry.requirements[r].pack_id for r in requirements} | set(packs) | set(selected_with)
        return not tied.isdisjoint(self.selected_ids)

    @property
    def selected_ids(self) -> frozenset[str]:
        if self._selected_ids is None:
            self._selected_ids = frozenset(p.id for p in self.selected)
        return self._selected_ids

    # -- running ---------------------------------------------------------------------------
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if self.writer:
            self.writer.start()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """The candidate's endpoints are up before the first test when a selected test addresses them (the embedded
        simulator is started here, not for a run that only validates documents).

        Exempt what lives for the whole run (modules, packs, collected tests) from the garbage collector's full passes:
        over thousands of documents those passes rescanned it again and again (a quarter of the harness's own time).
        The young collections run less often too, as in `validate`: a test's objects are freed by their reference counts,
        and each collection walked the young objects again. Both are undone once pytest's own cleanups have run (its last
        collections, looking for unraisable exceptions, then skip the frozen objects, as the collections of the run did)."""
        if self.writer and any("enrs_target" in getattr(item, "fixturenames", ()) for item in session.items):
            with contextlib.suppress(HarnessError):  # each test asking for the target is ABORTED with the reason
                self.target()
        if self.writer and gc.isenabled() and not gc.get_freeze_count():
            gc.freeze()
            self._gc_threshold = raise_young_threshold()

    def restore_gc(self) -> None:
        """The collector as it was before the run: its threshold, and the frozen objects collectable again (e.g. by a
        process that runs several sessions). A cleanup of the configuration, registered before pytest's own."""
        if self._gc_threshold is not None:
            gc.set_threshold(*self._gc_threshold)
            gc.unfreeze()
            self._gc_threshold = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.running = item

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
        """Document tests of a run take the lighter protocol of harness.run.direct when nothing of pytest's could change them."""
        from harness.run.direct import qualifies, run_directly

        if self.writer is None or not isinstance(item, pytest.Function) or not qualifies(item):
            return None
        run_directly(item, nextitem, self)
        return True

    def record_for(self, item: pytest.Item) -> TestRecord:
        record = self.records.get(item.nodeid)
        if record is None:
            requirements, packs, _ = _marker_ids(item)
            record = TestRecord(nodeid=item.nodeid, requirements=requirements, packs=packs, subject=_subject(item))
            self.records[item.nodeid] = record
        return record

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        record = self.record_for(item)
        if call.when == "setup" and report.failed:
            record.finish(Verdict.ABORTED, f"préparation impossible / setup failed: {_exception_line(call)}", report.duration)
        elif call.when == "setup" and report.skipped:
            not_applicable = call.excinfo is not None and call.excinfo.errisinstance(NotApplicable)
            record.finish(Verdict.NOT_APPLICABLE if not_applicable else None, _skip_reason(report), report.duration)
        elif call.when == "call":
            if report.passed:
                record.finish(Verdict.PASSED, None, report.duration)
            elif report.skipped:
                not_applicable = call.excinfo is not None and call.excinfo.errisinstance(NotApplicable)
                record.finish(Verdict.NOT_APPLICABLE if not_applicable else None, _skip_reason(report), report.duration)
            elif call.excinfo is not None and call.excinfo.errisinstance((AssertionError, pytest.fail.Exception)):
                record.finish(Verdict.FAILED, _exception_line(call), report.duration)
            else:
                record.finish(Verdict.ABORTED, _exception_line(call), report.duration)
        if call.when != "teardown" or report.failed:
            self._decorate(report, record, call.when)
        return report

    def _decorate(self, report: pytest.TestReport, record: TestRecord, when: str) -> None:
        """Carry the requirement columns and the evidence to pytest-html."""
        # The marked requirements, and those a test judged itself that did not pass (a document's broken rules).
        shown = record.requirements + [r for r, (v,
                                                 _) in record.explicit.items() if v is not Verdict.PASSED and r not in record.requirements]
        report.enrs_requirements = [  # type: ignore[attr-defined]  # our data on pytest's report
            self.registry.requirements[r] for r in shown if r in self.registry.requirements]
        report.enrs_verdict = str(record.verdict) if record.verdict else ""  # type: ignore[attr-defined]  # our data on pytest's report
        if when in ("setup", "call") and (record.evidence or record.reason):
            from harness.run.html_report import evidence_extra

            extras = getattr(report, "extras", [])
            extras.append(evidence_extra(record, self.lang))
            report.extras = extras  # type: ignore[attr-defined]  # pytest-html reads this attribute it adds to pytest's report

    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        if self.writer and time.monotonic() > self._next_flush:
            started = time.monotonic()
            self.writer.write_results(final=False)
            took = time.monotonic() - started
            self._next_flush = started + max(RESULTS_FLUSH_SECONDS, RESULTS_FLUSH_COST_FACTOR * took)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.exitstatus = int(exitstatus)
        if session.shouldstop:
            self.incomplete_reason = f"arrêt anticipé / stopped early: {session.shouldstop}"
        elif session.shouldfail and not isinstance(session.shouldfail, bool):
            self.incomplete_reason = f"arrêt anticipé / stopped early: {session.shouldfail}"

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        try:
            if self.writer:
                results = self.writer.finish()
                self.final_results = {key: value for key, value in results.items() if key not in PER_TEST_RESULTS}
        finally:
            self.stop_simulator()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.writer:
            terminalreporter.write_sep("-", f"enrs-harness: {self.writer.run_dir}")

    # -- pytest-html columns -----------------------------------------------------------------
    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        from harness.run.html_report import table_header

        cells[:] = table_header(cells, self.lang)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        from harness.run.html_report import table_row, waived_requirements

        if report.passed and (report.when == "setup" or report.when == "teardown" and not report.sections):
            cells.clear()  # pytest-html shows no row for it (nor any teardown output): no need to build one
            return
        if self._waived is None:
            on = date.fromisoformat(self.writer.started[:10]) if self.writer else date.today()
            candidate = self.candidate
            self._waived = waived_requirements(self.waivers, candidate.name, candidate.version, on)
        cells[:] = table_row(report, cells, self.lang, self._waived)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session) -> None:
        """The overall verdict, the blocking requirements and the candidate's waivers (applied or expired) at the top."""
        if self.writer:
            from harness.run.html_report import summary_html

            prefix.append(summary_html(*self.writer.requirement_rows(), self.lang))

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        report.title = "enrs-harness — rapport de test" if self.lang == "fr" else "enrs-harness — test report"


def _marker_ids(item: pytest.Item) -> tuple[list[str], list[str], list[str]]:
    """The ids of the test's `requirement`, `profile` and `selected_with` markers, in `iter_markers` order, each once
    (one walk of the test's nodes for all: a run asks them of thousands of document tests)."""
    ids: dict[str, list[str]] = {"requirement": [], "profile": [], "selected_with": []}
    for marker in item.iter_markers():
        found = ids.get(marker.name)
        if found is not None:
            found.extend(str(a) for a in marker.args)
    return list(dict.fromkeys(ids["requirement"])), list(dict.fromkeys(ids["profile"])), list(dict.fromkeys(ids["selected_with"]))


def _subject(item: pytest.Item) -> tuple[str, str] | None:
    """What a parametrised test judges: an endpoint of the target, or a document (the public `enrs_document` parameter)."""
    from harness.run.documents import Document

    params = getattr(getattr(item, "callspec", None), "params", {})
    for name, value in params.items():
        if isinstance(value, Endpoint):
            return ("endpoint", value.name)
        if name == "enrs_document" and isinstance(value, Document):
            return ("artefact", str(value.path))
    return None


def _exception_line(call: pytest.CallInfo[None]) -> str:
    if call.excinfo is None:
        return ""
    text = str(call.excinfo.value).strip().splitlines()
    first = text[0] if text else ""
    return f"{call.excinfo.typename}: {first}"[:500]


def _skip_reason(report: pytest.TestReport) -> str | None:
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return None


@pytest.fixture
def enrs(pytestconfig: pytest.Config) -> Recorder:
    """Records evidence, artefacts and explicit requirement verdicts for the current test.

    The test is the one the session is setting up, not `request.node`: pytest builds a fixture definition for
    `request` at each test that asks for it, a tenth of a run's own cost per document."""
    session = session_of(pytestconfig)
    assert session.running is not None, "enrs is a function-scoped fixture: a test is running"
    return Recorder(session.record_for(session.running), session.registry, session.lang)


@pytest.fixture(scope="session")
def enrs_target(pytestconfig: pytest.Config) -> Target:
    """The candidate system under test (the embedded default without --enrs-target)."""
    return session_of(pytestconfig).target()


@pytest.fixture(scope="session")
def enrs_registry(pytestconfig: pytest.Config) -> PackRegistry:
    return session_of(pytestconfig).registry


@pytest.fixture(scope="session")
def enrs_selected_profiles(pytestconfig: pytest.Config) -> list[ProfilePack]:
    return session_of(pytestconfig).selected


__all__ = ["Aborted", "NotApplicable", "EnrsSession", "session_of"]
