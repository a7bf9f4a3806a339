"""Helpers shared by the test folders (which mirror harness/'s sub-packages): small profile packs written on the fly,
in-process runs of a suite through the plugin, the command line in a child process, a validation context.

The trust-path tests run in-process (pytester, direct calls) so that the mutation run (docs/testing.md) sees
which test covers which function: a run in a subprocess would hide it.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.resources import bundled_dir

REPO = Path(__file__).resolve().parents[1]
# The tests never write into the user's cache of packs (harness.config.pack_cache): the session has its own, set as
# this file is imported, before anything loads packs, and inherited by child processes (an inner session keeps it).
if not os.environ.get("ENRS_HARNESS_TEST_CACHE"):
    os.environ["ENRS_HARNESS_TEST_CACHE"] = os.environ["ENRS_HARNESS_CACHE"] = tempfile.mkdtemp(prefix="enrs-harness-tests-")
    atexit.register(shutil.rmtree, os.environ["ENRS_HARNESS_TEST_CACHE"], ignore_errors=True)
# Modules whose tests take seconds each (child processes, simulators, whole runs, a browser, a Dask cluster), as
# measured by `pytest --durations=0` on two busy cores: their tests are marked `slow`. They run by default and in CI;
# `python -m pytest -m "not slow"` leaves them out of a fast loop.
SLOW_MODULES = {
    "tests/campaign/test_browser.py", "tests/campaign/test_campaign.py",
    "tests/cda/test_cda_cli.py", "tests/cdakit/test_kit_cli.py",
    "tests/certificates/test_certificate_verify.py", "tests/certificates/test_pages.py", "tests/certificates/test_waivers.py",
    "tests/cli/test_cli.py", "tests/cli/test_dependencies.py", "tests/cli/test_golden_outputs.py", "tests/cli/test_terminal.py",
    "tests/cluster/test_campaign_cluster.py", "tests/cluster/test_validate_cluster.py",
    "tests/config/test_config_files.py", "tests/config/test_scope.py", "tests/config/test_secrets_and_paths.py",
    "tests/core/test_findings_cap.py", "tests/run/test_plugin.py",
    "tests/simulator/test_deadlines.py", "tests/simulator/test_endpoint_requirements.py", "tests/simulator/test_nginx.py",
    "tests/simulator/test_pki_simulator_cli.py", "tests/validation/test_artefact_policy.py",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(REPO) and item.path.relative_to(REPO).as_posix() in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)



# -- small profile packs written on the fly ----------------------------------------------------------------------
def pack_toml(pack_id: str, version: str, framework: str, title: tuple[str, str], source: tuple[str, str, str],
              applies_to: str | list[str], requirements: list[tuple[str, str, str, str, str]]) -> str:
    """A profile pack's TOML: `title` (fr, en), `source` (document, version, date), `requirements` as
    (id, level, statement fr, statement en, section); its requirements are evaluated by the suite named after it."""
    def q(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = ["[pack]", f"id = {q(pack_id)}", f"version = {q(version)}", f"framework = {q(framework)}",
             f"title = {{ fr = {q(title[0])}, en = {q(title[1])} }}",
             f"source = {{ document = {q(source[0])}, version = {q(source[1])}, date = {q(source[2])} }}",
             f"evaluated_by = {q('suite:' + pack_id)}", f"applies_to = {q(applies_to)}"]
    for rid, level, fr, en, section in requirements:
        lines += ["", "[[requirements]]", f"id = {q(rid)}", f"level = {q(level)}",
                  f"statement = {{ fr = {q(fr)}, en = {q(en)} }}", f"section = {q(section)}"]
    return "\n".join(lines) + "\n"


DEMO_PACK = pack_toml("demo", "1.2.0", "CI-SIS", ("Profil de démonstration", "Demo profile"),
                      ("Document de démonstration", "1.0", "2024-01-01"), "ENRS",
                      [("DEMO-MUST-1", "MUST", "Première exigence", "First requirement", "1.1"),
                       ("DEMO-MUST-2", "MUST", "Deuxième exigence", "Second requirement", "1.2"),
                       ("DEMO-SHOULD-1", "SHOULD", "Recommandation", "Recommendation", "2.1")])
OTHER_PACK = pack_toml("other", "0.1.0", "PGSSI-S", ("Autre", "Other"), ("Autre document", "2.0", "2023-06-01"), "ENRS",
                       [("OTHER-1", "MUST", "Autre exigence", "Other requirement", "3")])


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def packs_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "packs"
    write(directory / "demo.toml", DEMO_PACK)
    write(directory / "other.toml", OTHER_PACK)
    return directory


# -- the trust pack and in-process runs of a suite through the plugin ----------------------------------------
# applies_to: the kind of artefact its requirements are judged on (an ABORTED cda artefact is in scope)
TRUST_PACK = pack_toml("trust", "1.0.0", "TEST", ("Pack des tests de confiance", "Trust tests pack"),
                       ("enrs-harness tests", "1", "2026-01-01"), ["cda"],
                       [("TRUST-MUST-1", "MUST", "Première exigence", "First requirement", "1"),
                        ("TRUST-MUST-2", "MUST", "Deuxième exigence", "Second requirement", "2"),
                        ("TRUST-SHOULD-1", "SHOULD", "Recommandation", "Recommendation", "3")])

CANDIDATE = "DPI Confiance"


@pytest.fixture
def trust_packs(tmp_path: Path) -> Path:
    directory = tmp_path / "packs"
    directory.mkdir()
    (directory / "trust.toml").write_text(TRUST_PACK, encoding="utf-8")
    return directory


def run_trust_suite(pytester: pytest.Pytester, packs: Path, source: str, *args: str) -> dict[str, Any]:
    """Run `source` as a suite of the trust pack, in this process; return its results.json."""
    target = pytester.path / "target.toml"
    target.write_text(f'[candidate]\nname = "{CANDIDATE}"\nvendor = "Éditeur"\nversion = "1.0"\n', encoding="utf-8")
    pytester.makepyfile(test_suite=textwrap.dedent(source))
    run_dir = pytester.path / "run"
    pytester.runpytest("-p", "no:cacheprovider", "--enrs-profiles-dir", str(packs), "--enrs-profile", "trust",
                       "--enrs-target", str(target), "--enrs-run-dir", str(run_dir), *args)
    return json.loads((run_dir / "results.json").read_text(encoding="utf-8"))


def verdicts(results: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in results["requirements"]}


# -- the command line, a validation context, a conforming CDA document ---------------------------------------
def harness(*args: object, cwd: Path | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """The enrs-harness CLI of this checkout in a subprocess, in English."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "ENRS_LANG": "en"}
    return subprocess.run([sys.executable, "-m", "harness", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd or REPO, timeout=timeout)


@pytest.fixture(scope="session")
def context() -> ValidationContext:
    return ValidationContext(registry=PackRegistry.load())


@pytest.fixture(scope="session")
def conforming_cda() -> bytes:
    return (bundled_dir("fixtures") / "conforming" / "cda" / "vsm-2023.xml").read_bytes()


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The command line in a child process, with a stdin that never ends (as a terminal would)."""
    read_end, write_end = os.pipe()
    try:
        return subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, stdin=read_end, capture_output=True,
                              text=True, timeout=timeout)
    finally:
        os.close(read_end)
        os.close(write_end)


# -- small X.509 certificates (the endpoint probes' host name and chain checks, the signing primitives) --------
NOW = dt.datetime.now(dt.UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _certificate(subject: str, names: list[x509.GeneralName] | None, key: ec.EllipticCurvePrivateKey | None = None,
                 issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None, ca: bool = False
                 ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).public_key(key.public_key())
               .issuer_name(issuer[0].subject if issuer else _name(subject)).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256()), key


def wait_listening(process: subprocess.Popen[bytes], port: int, name: str, seconds: float, why_dead: Callable[[], str]) -> None:
    """Wait until a real server started for a test (nginx, Postfix) accepts on 127.0.0.1:port; fail with its log
    (`why_dead`) if it exits first, or after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise AssertionError(f"{name} did not start: {why_dead()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} did not listen within {seconds:g} s") from None
            time.sleep(0.05)
