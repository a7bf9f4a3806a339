"""`campaign run --cluster`: each candidate a task on a real cluster; the client writes the same folders."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.certificates.signing import keygen

from .conftest import REPO, DaskProcesses, harness

TOY = REPO / "tests" / "certificates" / "toy"
HANG_TIMEOUT = 3


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port whose connections complete and are never answered (the kernel's backlog holds them)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


def _campaign(base: Path, hang_port: int) -> Path:
    keygen(base / "issuer", "Cluster campaign issuer", key_type="ec")
    (base / "hang.toml").write_text('[candidate]\nname = "Hangs"\nvendor = "V"\nversion = "1"\n\n[timeouts]\nconnect = 2\nread = 600\n\n'
                                    f'[[endpoints]]\nname = "mllp"\nprotocol = "mllp"\nhost = "127.0.0.1"\nport = {hang_port}\n',
                                    encoding="utf-8")
    head = {"id": "cluster-campaign", "output": "runs", "timeout": 120, "jobs": 2, "lang": "en", "sign_with": "issuer",
            "profiles": ["toy-certs"], "profiles_dirs": [str(TOY / "profiles")], "suites": [str(TOY / "suites")]}
    text = "[campaign]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in head.items())
    for name, documents in (("Good", "good"), ("Broken", "broken")):
        text += (f'\n[[candidates]]\nname = "{name}"\nvendor = "Éditeur {name}"\nversion = "1.0"\n'
                 f'documents = [{json.dumps(str(TOY / "documents" / documents))}]\n')
    text += f'\n[[candidates]]\nname = "Hangs"\ntarget = "hang.toml"\ntimeout = {HANG_TIMEOUT}\n'
    path = base / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _runs(base: Path) -> list[Path]:
    return sorted(p for p in (base / "runs").iterdir() if p.is_dir())


def _comparable(candidate: dict[str, Any]) -> dict[str, Any]:
    return {k: candidate.get(k)
            for k in ("name", "status", "failed_must", "failed_should", "certificate_issued", "requirements", "profiles")}


def test_campaign_on_the_cluster_matches_a_local_campaign(dask_cluster: DaskProcesses, tmp_path: Path, silent_port: int) -> None:
    campaign = _campaign(tmp_path, silent_port)
    local = harness("campaign", "run", campaign, cwd=tmp_path)
    cluster = harness("campaign", "run", campaign, "--cluster", dask_cluster.address, cwd=tmp_path)
    assert cluster.returncode == local.returncode == 1, cluster.stdout + cluster.stderr
    assert "2 worker(s)" in cluster.stderr
    first, second = _runs(tmp_path)
    local_data, cluster_data = (json.loads((run / "campaign.json").read_text(encoding="utf-8")) for run in (first, second))
    assert cluster_data["summary"] == local_data["summary"] == {"candidates": 3, "certified": 1, "not_conformant": 1, "aborted": 1}
    assert [_comparable(c) for c in cluster_data["candidates"]] == [_comparable(c) for c in local_data["candidates"]]
    good, broken, hangs = cluster_data["candidates"]
    # the files of each run were written by the client where a local campaign puts them, and the links work
    for candidate in (good, broken):
        for key in ("report", "certificate", "results", "log"):
            assert candidate[key] and (second / candidate[key]).is_file(), (candidate["name"], key)
    verified = harness("certificate", "verify", second / good["certificate"], "--trust", tmp_path / "issuer" / "issuer-cert.pem",
                       "--artefacts", TOY / "documents" / "good", "--format", "json", cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr  # signed, and its artefacts are the ones judged
    assert (second / "dashboard.html").is_file() and (tmp_path / "runs" / "index.html").is_file()
    assert cluster_data["history"]  # compared with the local run before it, as today
    # the timeout held on the worker
    assert hangs["status"] == "ABORTED" and "timed out" in hangs["reason"]
    assert HANG_TIMEOUT <= hangs["duration"] < HANG_TIMEOUT + 15


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().decode(errors="replace"):
                found.append(cmdline.parent.name)
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc to look for left-over processes")
def test_ctrl_c_stops_the_candidate_runs_on_the_workers(dask_cluster: DaskProcesses, tmp_path: Path, silent_port: int) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time
    import uuid

    marker = f"hangs-{uuid.uuid4().hex[:10]}"  # the candidate's slug: in the command line of its run on the worker
    (tmp_path / "hang.toml").write_text(f'[candidate]\nname = "{marker}"\nvendor = "V"\nversion = "1"\n[timeouts]\nread = 600\n'
                                        f'[[endpoints]]\nname = "m"\nprotocol = "mllp"\nhost = "127.0.0.1"\nport = {silent_port}\n',
                                        encoding="utf-8")
    (tmp_path / "campaign.toml").write_text(
        f'[campaign]\nid = "c"\noutput = "runs"\nprofiles = ["toy-certs"]\nprofiles_dirs = [{json.dumps(str(TOY / "profiles"))}]\n'
        f'suites = [{json.dumps(str(TOY / "suites"))}]\n\n[[candidates]]\nname = "{marker}"\ntarget = "hang.toml"\ntimeout = 300\n',
        encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO), "ENRS_LANG": "en"}
    process = subprocess.Popen([sys.executable, "-m", "harness", "campaign", "run", "campaign.toml", "--cluster", dask_cluster.address],
                               env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not _processes_mentioning(marker + "/run"):  # the run, started by a worker
            time.sleep(0.2)
        assert _processes_mentioning(marker + "/run"), "the candidate's run never started on a worker"
        time.sleep(1.5)  # let the run reach the silent endpoint
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1 and "interrupted" in stderr
    deadline = time.monotonic() + 30
    while _processes_mentioning(marker + "/run"):
        assert time.monotonic() < deadline, "the candidate's run is still going on the worker"
        time.sleep(0.5)
    assert dask_cluster.worker_names() == {"worker0", "worker1"}


def test_campaign_cluster_without_dask_stops_before_any_run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path, silent_port: int) -> None:
    import sys

    from harness.cli import main

    monkeypatch.setitem(sys.modules, "distributed", None)
    assert main(["campaign", "run", str(_campaign(tmp_path, silent_port)), "--cluster", "local:1", "--lang", "en"]) == 2
    assert "pip install 'enrs-harness[cluster]'" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()  # no empty run folder left behind


def test_a_worker_killed_during_a_candidate_run_is_survived(dask_cluster: DaskProcesses, tmp_path: Path, silent_port: int) -> None:
    import subprocess
    import sys
    import time

    from distributed import Client

    campaign = _campaign(tmp_path, silent_port)
    local = harness("campaign", "run", campaign, cwd=tmp_path)
    env = {**__import__("os").environ, "PYTHONPATH": str(REPO), "ENRS_LANG": "en"}
    process = subprocess.Popen([sys.executable, "-m", "harness", "campaign", "run", str(campaign), "--cluster", dask_cluster.address],
                               env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        victim, deadline = None, time.monotonic() + 120
        with Client(dask_cluster.address, timeout=30) as client:
            while victim is None:
                assert process.poll() is None and time.monotonic() < deadline
                names = {addr: w["name"] for addr, w in client.scheduler_info(n_workers=-1)["workers"].items()}
                busy = [names[addr] for addr, keys in client.processing().items() if any("enrs-candidate-good" in str(k) for k in keys)]
                victim = busy[0] if busy else None
                time.sleep(0.1)
        dask_cluster.kill(dask_cluster.workers[int(victim.removeprefix("worker"))])  # the worker running "Good"
        assert process.poll() is None
        process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == local.returncode == 1
    local_data, cluster_data = (json.loads((run / "campaign.json").read_text(encoding="utf-8")) for run in _runs(tmp_path))
    assert [_comparable(c) for c in cluster_data["candidates"]] == [_comparable(c) for c in local_data["candidates"]]
    assert (cluster_data["candidates"][0]["status"] == "CERTIFIED"
            and (_runs(tmp_path)[1] / cluster_data["candidates"][0]["certificate"]).is_file())
