"""Shared fixtures of the campaign tests: a server that never answers, and two campaign runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.certificates.signing import keygen
from harness.pki import build_pki

from ..conftest import REPO as REPO, harness as harness  # re-exported to the tests of this folder

TOY = REPO / "tests" / "certificates" / "toy"
HANG_TIMEOUT = 3
CDA_FIXTURES = REPO / "fixtures"
CDA_PACKS = ["ci-sis-cda-header", "ci-sis-cda-structure", "ci-sis-cda-volets"]
HL7V2_PACKS = ["hl7v2-base", "ci-sis-pam-fr", "ci-sis-hl7v2-cda", "ci-sis-hl7v2-lps"]
ENDPOINT_PACKS = ["pgssi-s-security", "ci-sis-mllp-transport"]
SIMULATOR_FAULTS = "no-security-headers,weak-ciphers,ack-wrong-control-id"


@pytest.fixture(scope="session")
def silent_server() -> Iterator[int]:
    """A loopback port that accepts connections and never answers (a hung candidate)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


class Simulator:
    """A reference ENRS simulator (`enrs-harness simulate`) in its own process, and its target file renamed as a candidate."""

    def __init__(self, folder: Path, pki: Path, name: str, faults: str = "", read_timeout: float | None = None) -> None:
        raw = folder / f"{name}.simulator.toml"
        raw.unlink(missing_ok=True)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.process = subprocess.Popen([sys.executable, "-m", "harness", "simulate", "--pki", str(pki), "--target-file", str(raw),
                                         "--duration", "600", *(["--faults", faults] if faults else [])],
                                        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not raw.exists() and time.monotonic() < deadline and self.process.poll() is None:
            time.sleep(0.1)
        assert raw.exists(), f"the simulator {name} did not start"
        text = re.sub(r'(?m)^name = ".*"$', f"name = {json.dumps(name)}", raw.read_text(encoding="utf-8"), count=1)
        if read_timeout is not None:
            text = re.sub(r"(?m)^read = .*$", f"read = {read_timeout}", text, count=1)
        self.target = folder / f"{name}.toml"
        self.target.write_text(text, encoding="utf-8")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _target(path: Path, name: str, port: int) -> Path:
    path.write_text(f'[candidate]\nname = "{name}"\nvendor = "Éditeur {name}"\nversion = "1.0"\n\n[timeouts]\nconnect = 2\nread = 600\n\n'
                    f'[[endpoints]]\nname = "mllp"\nprotocol = "mllp"\nhost = "127.0.0.1"\nport = {port}\n', encoding="utf-8")
    return path


def _documents(folder: Path, source: str) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(TOY / "documents" / source, folder)
    return folder


def _candidate(name: str, **fields: Any) -> str:
    lines = ["[[candidates]]", f"name = {json.dumps(name)}"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in fields.items()]
    return "\n".join(lines) + "\n"


WAIVERS = """
[[waivers]]
requirement = "TOYC-002"
candidate = "Broken"
justification = "Accepted until version 2"
approver = "ARS Exemple"
expires = 2099-12-31

[[waivers]]
requirement = "TOYC-002"
candidate = "Evolving"
justification = "Was accepted for 2019"
approver = "ARS Exemple"
expires = 2019-12-31
"""


@dataclass
class CampaignRuns:
    base: Path
    output: Path
    issuer: Path
    first: Path
    second: Path
    first_process: subprocess.CompletedProcess[str]
    second_process: subprocess.CompletedProcess[str]
    hang_port: int

    @staticmethod
    def data(folder: Path) -> dict[str, Any]:
        return json.loads((folder / "campaign.json").read_text(encoding="utf-8"))

    @staticmethod
    def candidate(folder: Path, name: str) -> dict[str, Any]:
        return next(c for c in CampaignRuns.data(folder)["candidates"] if c["name"] == name)


def write_campaign(base: Path, candidates: str, **settings: Any) -> Path:
    head = {"id": "test-campaign", "title": "Campagne de test", "output": "runs", "timeout": 120, "jobs": 4, "lang": "en",
            "profiles": ["toy-certs"], "profiles_dirs": [str(TOY / "profiles")], "suites": [str(TOY / "suites")], **settings}
    text = "[campaign]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in head.items()) + "\n" + candidates
    path = base / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def campaign_runs(tmp_path_factory: pytest.TempPathFactory, silent_server: int) -> CampaignRuns:
    base = tmp_path_factory.mktemp("campaign")
    issuer = base / "issuer"
    keygen(issuer, "Campaign issuer", key_type="ec")
    (base / "waivers.toml").write_text(WAIVERS, encoding="utf-8")
    settings = {"waivers": "waivers.toml", "sign_with": "issuer"}
    evolving, fixing = base / "docs-evolving", base / "docs-fixing"
    documents_candidates = (
        _candidate("Good", vendor="Éditeur A", version="1.0", documents=[str(TOY / "documents" / "good")])
        + _candidate("Broken", vendor="Éditeur B", version="1.0", documents=[str(TOY / "documents" / "broken")])
        + _candidate("Warn", vendor="Éditeur W", version="1.0", documents=[str(TOY / "documents" / "warn")])
        + _candidate("Evolving", vendor="Éditeur E", version="1.0", documents=[str(evolving)])
        + _candidate("Fixing", vendor="Éditeur F", version="1.0", documents=[str(fixing)])
        # real documents: the CDA fixtures, against the CDA packs
        + _candidate("CDA conforming", vendor="Éditeur CDA", version="3.0",
                     documents=[str(CDA_FIXTURES / "conforming" / "cda")], profiles=CDA_PACKS)
        + _candidate("CDA nonconforming", vendor="Éditeur CDA", version="2.9",
                     documents=[str(CDA_FIXTURES / "nonconforming" / "cda")], profiles=CDA_PACKS)
        + _candidate("Messages and documents", vendor="Éditeur M", version="5.0", profiles=CDA_PACKS + HL7V2_PACKS,
                     documents=[str(CDA_FIXTURES / "conforming" / "hl7v2"), str(CDA_FIXTURES / "conforming" / "cda")])
        + _candidate("Messages nonconforming", vendor="Éditeur M", version="4.0", profiles=HL7V2_PACKS,
                     documents=[str(CDA_FIXTURES / "nonconforming" / "hl7v2")])
    )
    _documents(evolving, "good")
    _documents(fixing, "broken")
    (base / "bad-target.toml").write_text("[candidate\nname = ", encoding="utf-8")
    failing_candidates = (
        _candidate("Hangs", target=str(_target(base / "hang.toml", "Hangs", silent_server)), timeout=HANG_TIMEOUT)
        + _candidate("Gone", target=str(_target(base / "gone.toml", "Gone", closed_port())))
        + _candidate("Crash", vendor="Éditeur C", version="1.0", documents=[str(TOY / "documents" / "crash")])
        + _candidate("BadTarget", target=str(base / "bad-target.toml"))
    )
    # reference simulators (#5): conforming, faulty, and one that never ACKs while the target waits 600 s
    pki = base / "pki"
    build_pki(pki)
    simulators = [Simulator(base, pki, "Simulator conforming"), Simulator(base, pki, "Simulator faulty", SIMULATOR_FAULTS),
                  Simulator(base, pki, "Simulator hangs", "no-ack", read_timeout=600)]
    simulator_candidates = "".join(_candidate(s.target.stem, target=str(s.target),
                                              profiles=ENDPOINT_PACKS, timeout=60) for s in simulators[:2])
    hanging_simulator = _candidate("Simulator hangs", target=str(simulators[2].target), profiles=ENDPOINT_PACKS, timeout=HANG_TIMEOUT)
    try:
        campaign = write_campaign(base, documents_candidates + simulator_candidates + hanging_simulator + failing_candidates, **settings)
        first_process = harness("campaign", "run", campaign)
        # the second run: Evolving now fails, Fixing now passes, the faulty simulator is fixed, the failing candidates are gone
        _documents(evolving, "broken")
        _documents(fixing, "good")
        simulators[1].stop()
        simulators[1] = Simulator(base, pki, "Simulator faulty")
        campaign = write_campaign(base, documents_candidates + simulator_candidates, **settings)
        second_process = harness("campaign", "run", campaign, "--jobs", "3")
    finally:
        for simulator in simulators:
            simulator.stop()
    folders = sorted(p for p in (base / "runs").iterdir() if p.is_dir())
    assert len(folders) == 2, first_process.stdout + first_process.stderr + second_process.stdout + second_process.stderr
    return CampaignRuns(base, base / "runs", issuer, folders[0], folders[1], first_process, second_process, silent_server)
