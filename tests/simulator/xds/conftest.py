"""Runs the xds endpoint suite on the reference simulator (with fault modes) and returns results.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import harness.run.plugin  # noqa: F401 - imported once here, not again by every in-process run
from harness.config.target import Timeouts
from harness.pki import PkiManifest, build_pki
from harness.simulator import Simulator

REPO = Path(__file__).resolve().parents[3]
SUITES = REPO / "suites"
FAST = Timeouts(connect=1.0, read=3.0, exchange=10.0)
PACKS = ("ihe-xds-b-actors", "ci-sis-vihf")  # the artefact packs (ihe-xds-b, ci-sis-xds) are xds-meta's tests' business


@pytest.fixture(scope="session")
def xds_pki(tmp_path_factory: pytest.TempPathFactory) -> PkiManifest:
    return build_pki(tmp_path_factory.mktemp("xds-pki"))


class XdsSuiteRunner:
    def __init__(self, pytester: pytest.Pytester, pki: PkiManifest) -> None:
        self.pytester, self.pki = pytester, pki

    def run(self, faults: frozenset[str] = frozenset(), edit_target: Any = None, mutate: Any = None) -> dict[str, Any]:
        """`mutate(simulator)` changes the running simulator (e.g. its service) before the suite runs."""
        with Simulator(self.pki, faults, io_timeout=5.0) as simulator:
            if mutate:
                mutate(simulator)
            text = simulator.target_toml(FAST)
            if edit_target:
                text = edit_target(text)
            return self.run_target(text)

    def run_target(self, text: str, extra_packs: tuple[str, ...] = ()) -> dict[str, Any]:
        """Run the xds suite on the target file `text`; return results.json."""
        target = self.pytester.path / "target.toml"
        target.write_text(text, encoding="utf-8")
        run_dir = self.pytester.path / "run"
        shutil.rmtree(run_dir, ignore_errors=True)
        args = [str(SUITES / "xds"), "-c", str(SUITES / "pytest.ini"), "--rootdir", str(SUITES), "-p", "no:cacheprovider",
                "-p", "no:hypothesispytest", "-p", "no:benchmark", "--enrs-target", str(target), "--enrs-run-dir", str(run_dir), "-q"]
        for pack in (*PACKS, *extra_packs):
            args += ["--enrs-profile", pack]
        self.pytester.runpytest_inprocess(*args)
        return json.loads((run_dir / "results.json").read_text(encoding="utf-8"))

    @staticmethod
    def verdicts(results: dict[str, Any]) -> dict[str, str]:
        return {r["id"]: r["verdict"] for r in results["requirements"]}

    @staticmethod
    def reasons(results: dict[str, Any], requirement: str) -> str:
        row = next(r for r in results["requirements"] if r["id"] == requirement)
        return " | ".join(x["reason"] or "" for x in row["reasons"])


@pytest.fixture
def xds_suite(pytester: pytest.Pytester, xds_pki: PkiManifest) -> XdsSuiteRunner:
    return XdsSuiteRunner(pytester, xds_pki)
