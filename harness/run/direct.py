"""A lighter test protocol for document tests in a run: the test is called directly, its reports made and logged.

Over thousands of documents, pytest's own per-test protocol costs about as much as a native validation: fixture
resolution, output capture, log capture and warning capture around each phase. A test qualifies only when none of it
can matter: it is a plain function, marked with nothing but parametrize/requirement/profile, and asks only for the
run's own fixtures (the document parameter, `enrs`, `enrs_validation`, `pytestconfig`) as the harness defines them.
Its setup, call and teardown still go through pytest's makereport and logreport hooks: the same rows in report.html
and junit.xml, the same records in results.json, -x and Ctrl-C honoured; only nothing is captured around it
(the validators print nothing) and its warnings are not collected by pytest. A setup that passed is not reported when
only the run's own plugins take reports: it would change nothing but timings (`_SETUP_LISTENERS`).
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import pytest
from _pytest.runner import check_interactive_exception  # pytest's runner's own step (in every pytest since 8.0)

if TYPE_CHECKING:
    from harness.run.plugin import EnrsSession

_MARKERS = {"parametrize", "requirement", "profile"}
_FIXTURES = {"enrs_document": None, "request": None, "enrs": "harness.run.plugin", "enrs_validation": "harness.run.documents",
             "pytestconfig": "_pytest.fixtures"}  # name -> module defining it (None: the direct parameter and what it asks for)


def qualifies(item: pytest.Function) -> bool:
    """A document test that pytest's fixtures, capture, markers and hooks around the phases could not change."""
    if type(item) is not pytest.Function or inspect.iscoroutinefunction(item.obj) or item.config.option.usepdb:
        return False
    callspec = getattr(item, "callspec", None)
    if callspec is None or "enrs_document" not in callspec.params or set(item.fixturenames) - set(_FIXTURES):
        return False
    if "request" in item._fixtureinfo.argnames:  # only the parameter's own fixture asks for it
        return False
    if any(marker.name not in _MARKERS for marker in item.iter_markers()):
        return False
    definitions = item._fixtureinfo.name2fixturedefs
    for name in item.fixturenames:
        module = _FIXTURES[name]
        if module is not None and getattr(definitions[name][-1].func, "__module__", None) != module:
            return False  # a conftest overrides it
    return True


def run_directly(item: pytest.Function, nextitem: pytest.Item | None, session: EnrsSession) -> None:
    """pytest's runtestprotocol for a qualifying test, without the per-phase machinery."""
    ihook = _hooks_and_location(item)
    reraise = (pytest.exit.Exception, KeyboardInterrupt)  # as pytest's runner without --pdb (a test under --pdb does not qualify)

    def reported(call: pytest.CallInfo[None]) -> pytest.TestReport:
        report: pytest.TestReport = ihook.pytest_runtest_makereport(item=item, call=call)
        ihook.pytest_runtest_logreport(report=report)
        if check_interactive_exception(call, report):
            ihook.pytest_exception_interact(node=item, call=call, report=report)
        return report

    def phase(when: Any, function: Any) -> pytest.TestReport:
        return reported(pytest.CallInfo.from_call(function, when=when, reraise=reraise))

    ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    try:
        setup = pytest.CallInfo.from_call(lambda: _set_up(item, session), when="setup", reraise=reraise)
        # A setup that raised nothing is reported only to listeners that could make something of it
        if (setup.excinfo is None and _quiet_setup(item.config)) or reported(setup).passed:
            phase("call", item.runtest)
        if item.session.shouldfail or item.session.shouldstop:
            nextitem = None
        phase("teardown", lambda: item.session._setupstate.teardown_exact(nextitem))
    finally:
        item._request = False  # type: ignore[assignment]  # as pytest's runner: the arguments go away with the test
        item.funcargs = {}
    ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)


_SHARED = pytest.StashKey[dict[Any, Any]]()
_QUIET_SETUP = pytest.StashKey[bool]()

# Where the hook implementations that take a passed setup's report come from when a run has only its own plugins. With
# these, the report of a setup that passed changes nothing but timings: no row in report.html (harness.run.plugin
# clears it) nor in junit.xml (a test case is opened by its call report), no progress letter, no record, nothing kept.
_SETUP_LISTENERS = {
    "pytest_runtest_makereport": {"_pytest.runner", "_pytest.unittest", "_pytest.skipping", "_pytest.tmpdir", "pytest_html.plugin",
                                  "harness.run.plugin"},
    "pytest_runtest_logreport": {"_pytest.junitxml", "_pytest.terminal", "_pytest.logging", "_pytest.main", "pytest_html.basereport"},
}


def _quiet_setup(config: pytest.Config) -> bool:
    """Whether the passed setups of direct tests can go unreported: only the run's own plugins take reports (a
    conftest or another plugin implementing these hooks gets every report, as in pytest's own protocol)."""
    quiet = config.stash.get(_QUIET_SETUP, None)
    if quiet is None:
        quiet = config.stash[_QUIET_SETUP] = all(
            getattr(impl.function, "__module__", None) in modules
            for name, modules in _SETUP_LISTENERS.items() for impl in getattr(config.hook, name).get_hookimpls())
    return quiet


def _hooks_and_location(item: pytest.Function) -> Any:
    """`item.ihook`, and `item.location` set, as pytest works them out but once per file and test function: each
    document's test differs only by its id (pytest builds a hook proxy at every `ihook` and stats the file for each
    test's location)."""
    shared = item.config.stash.setdefault(_SHARED, {})
    ihook = shared.get(item.path)
    if ihook is None:
        ihook = shared[item.path] = item.ihook
    place = shared.get(item.obj)
    if place is None:
        path, line, _ = shared[item.obj] = item.location
    else:
        path, line, _ = place
        item.__dict__["location"] = (path, line, item.getmodpath())  # what Item.location, a cached_property, gives
    return ihook


def _set_up(item: pytest.Function, session: EnrsSession) -> None:
    from harness.run.documents import validation_context
    from harness.run.recorder import Recorder

    session.running = item
    values: dict[str, Any] = {
        "enrs_document": item.callspec.params["enrs_document"],
        "enrs": Recorder(session.record_for(item), session.registry, session.lang),
        "enrs_validation": validation_context(item.config),
        "pytestconfig": item.config,
    }
    item.funcargs = {name: values[name] for name in item._fixtureinfo.argnames}
