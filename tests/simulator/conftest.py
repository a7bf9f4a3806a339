"""Helpers of the endpoint tests: a test PKI built once, simulators with faults, the suite run on them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import harness.net.probe  # imported once here, not again by every in-process run
import harness.run.plugin  # noqa: F401 - imported for its side effect: loaded once here too
from harness.config.target import Timeouts
from harness.pki import PkiManifest, build_pki
from harness.simulator import Simulator

REPO = Path(__file__).resolve().parents[2]
SUITES = REPO / "suites"
FAST = Timeouts(connect=1.0, read=1.0, exchange=5.0)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiManifest:
    return build_pki(tmp_path_factory.mktemp("pki"))


class SuiteRunner:
    """Starts the simulator with some faults, runs (part of) the endpoint suite on it, returns results.json."""

    def __init__(self, pytester: pytest.Pytester, pki: PkiManifest) -> None:
        self.pytester, self.pki = pytester, pki

    def verdicts(self, results: dict[str, Any]) -> dict[str, str]:
        return {r["id"]: r["verdict"] for r in results["requirements"]}

    def reasons(self, results: dict[str, Any], requirement: str) -> str:
        row = next(r for r in results["requirements"] if r["id"] == requirement)
        return " | ".join(x["reason"] or "" for x in row["reasons"])

    def run(self, faults: set[str] | frozenset[str] = frozenset(), *select: str, keyword: str | None = None,
            edit_target: Any = None, packs: tuple[str, ...] = ("pgssi-s-security", "ci-sis-mllp-transport"),
            suite: str = "endpoints") -> dict[str, Any]:
        with Simulator(self.pki, frozenset(faults), io_timeout=5.0, slow_seconds=3.0) as simulator:
            text = simulator.target_toml(FAST)
            if edit_target:
                text = edit_target(text)
            return self.run_on(text, *select, keyword=keyword, packs=packs, suite=suite)

    def run_on(self, target_text: str, *select: str, keyword: str | None = None,
               packs: tuple[str, ...] = ("pgssi-s-security", "ci-sis-mllp-transport"), suite: str = "endpoints") -> dict[str, Any]:
        """Run (part of) the endpoint suite on the target file `target_text`; return results.json."""
        target = self.pytester.path / "target.toml"
        target.write_text(target_text, encoding="utf-8")
        run_dir = self.pytester.path / "run"
        shutil.rmtree(run_dir, ignore_errors=True)
        paths = [str(SUITES / suite / s) for s in select] or [str(SUITES / suite)]  # suite: endpoints or mssante
        args = [*paths, "-c", str(SUITES / "pytest.ini"), "--rootdir", str(SUITES), "-p", "no:cacheprovider",
                "-p", "no:hypothesispytest", "-p", "no:benchmark",
                "--enrs-target", str(target), "--enrs-run-dir", str(run_dir), "-q"]
        for pack in packs:
            args += ["--enrs-profile", pack]
        if keyword:
            args += ["-k", keyword]
        self.pytester.runpytest_inprocess(*args)
        return json.loads((run_dir / "results.json").read_text(encoding="utf-8"))


@pytest.fixture
def suite(pytester: pytest.Pytester, pki: PkiManifest) -> Iterator[SuiteRunner]:
    yield SuiteRunner(pytester, pki)


@pytest.fixture
def suite_on(pytester: pytest.Pytester):
    """A function giving a SuiteRunner whose simulator uses another test PKI."""
    return lambda pki: SuiteRunner(pytester, pki)
