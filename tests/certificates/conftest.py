"""Shared helpers of the certificate and waiver tests: a toy pack, a signed run, the CLI."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..conftest import REPO as REPO, harness as harness  # re-exported to the tests of this folder

TOY = Path(__file__).resolve().parent / "toy"
collect_ignore = ["toy"]  # the toy suite runs inside the harness runs of these tests, not here


def cli(*args: object) -> subprocess.CompletedProcess[str]:
    """The CLI in this process (fast: for commands that do not start pytest), in English."""
    from harness.cli import main

    out, err = io.StringIO(), io.StringIO()
    previous = os.environ.get("ENRS_LANG")
    os.environ["ENRS_LANG"] = "en"
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in args])
    finally:
        if previous is None:
            os.environ.pop("ENRS_LANG", None)
        else:
            os.environ["ENRS_LANG"] = previous
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def toy_run(report_dir: Path, target: Path, *extra: object) -> tuple[subprocess.CompletedProcess[str], Path]:
    """A run of the toy pack and suite; returns the process and the run folder."""
    process = harness("run", "--profile", "toy-certs", "--profiles-dir", TOY / "profiles", "--suites", TOY / "suites",
                      "--target", target, "--report-dir", report_dir, "--quiet", *extra)
    folders = sorted(p for p in report_dir.iterdir() if p.is_dir()) if report_dir.exists() else []
    assert folders, process.stdout + process.stderr
    return process, folders[-1]


def write_target(path: Path, name: str, documents: Path, vendor: str = "Éditeur Exemple", version: str = "2.3") -> Path:
    """A target file whose documents are a copy of `documents` beside it (a target's paths stay in its folder)."""
    local = path.parent / "documents" / documents.name
    if not local.exists():
        shutil.copytree(documents, local)
    documents = local
    path.write_text(f'[candidate]\nname = "{name}"\nvendor = "{vendor}"\nversion = "{version}"\n\n'
                    f'[documents]\npaths = [{json.dumps(str(documents))}]\n', encoding="utf-8")
    return path


@dataclass
class SignedRun:
    issuer: Path
    run_dir: Path

    @property
    def certificate(self) -> Path:
        return self.run_dir / "certificate.html"

    @property
    def issuer_cert(self) -> Path:
        return self.issuer / "issuer-cert.pem"

    def results(self) -> dict:
        return json.loads((self.run_dir / "results.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("issuer")
    process = harness("certificate", "keygen", directory, "--name", "ARS Exemple — tests")
    assert process.returncode == 0, process.stderr
    return directory


@pytest.fixture(scope="session")
def signed_run(tmp_path_factory: pytest.TempPathFactory, issuer: Path) -> SignedRun:
    base = tmp_path_factory.mktemp("signed")
    target = write_target(base / "target.toml", "DPI Exemple", TOY / "documents" / "good")
    process, run_dir = toy_run(base / "reports", target, "--sign-with", issuer)
    assert process.returncode == 0, process.stdout + process.stderr
    return SignedRun(issuer, run_dir)
