"""A real Dask cluster on loopback for the cluster tests: `dask scheduler` and `dask worker` processes.

Every process is started in its own session and killed with its group when the test ends, whatever happens.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="the cluster extra is not installed (pip install -e '.[test]')")

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120.0  # the machine may be loaded: starting Python processes can be slow


@dataclass
class DaskProcesses:
    folder: Path
    address: str = ""
    scheduler: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def _spawn(self, name: str, *args: str, blind_to: Path | None = None) -> subprocess.Popen[bytes]:
        cwd = self.folder / name
        cwd.mkdir(parents=True, exist_ok=True)
        log = (self.folder / f"{name}.log").open("wb")
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        command = [sys.executable, "-m", "dask", *args]
        if blind_to is not None:  # its own mount namespace, an empty tmpfs over `blind_to`: a worker without the share
            command = [*UNSHARE, 'mount -t tmpfs none "$0" && exec "$@"', str(blind_to), *command]
        return subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True)

    def start_worker(self, blind_to: Path | None = None) -> subprocess.Popen[bytes]:
        name = f"worker{len(self.workers)}"
        worker = self._spawn(name, "worker", self.address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                             "--name", name, "--local-directory", str(self.folder / name), blind_to=blind_to)
        self.workers.append(worker)
        return worker

    def worker_names(self) -> set[str]:
        from distributed import Client

        with Client(self.address, timeout=30) as client:
            return {w["name"] for w in client.scheduler_info(n_workers=-1)["workers"].values()}

    def wait_for_workers(self, count: int) -> None:
        from distributed import Client

        with Client(self.address, timeout=30) as client:
            client.wait_for_workers(count, timeout=START_TIMEOUT)

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)

    def stop(self) -> None:
        for process in [*self.workers, *([self.scheduler] if self.scheduler else [])]:
            self.kill(process)


UNSHARE = ["unshare", "--mount", "sh", "-c"]


def can_hide_a_folder(folder: Path) -> bool:
    """Whether this machine lets a process mount over a folder in its own namespace (root, unshare)."""
    try:
        return subprocess.run([*UNSHARE, 'mount -t tmpfs none "$0"', str(folder)], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[DaskProcesses]:
    """A scheduler on 127.0.0.1 (ephemeral port) and two workers of one process and one thread each."""
    cluster = start_scheduler(tmp_path / "dask")
    try:
        cluster.start_worker()
        cluster.start_worker()
        cluster.wait_for_workers(2)
        yield cluster
    finally:
        cluster.stop()


def start_scheduler(folder: Path) -> DaskProcesses:
    """A scheduler on 127.0.0.1 at an ephemeral port, no worker yet (the caller stops it)."""
    cluster = DaskProcesses(folder)
    scheduler_file = cluster.folder / "scheduler.json"
    try:
        cluster.scheduler = cluster._spawn("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                           "--scheduler-file", str(scheduler_file))
        deadline = time.monotonic() + START_TIMEOUT
        while not cluster.address:
            if time.monotonic() > deadline or cluster.scheduler.poll() is not None:
                raise RuntimeError("the Dask scheduler did not start: "
                                   + (cluster.folder / "scheduler.log").read_text(errors="replace")[-2000:])
            try:
                cluster.address = json.loads(scheduler_file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.2)
        assert cluster.address.startswith("tcp://127.0.0.1:")
    except BaseException:
        cluster.stop()
        raise
    return cluster


def make_corpus(folder: Path, copies: int) -> Path:
    """`copies` copies of every bundled fixture (conforming, nonconforming, unreadable) under `folder`/docs."""
    docs = folder / "docs"
    for copy in range(copies):
        shutil.copytree(REPO / "fixtures", docs / f"batch{copy:03d}", ignore=shutil.ignore_patterns("README.md"))
    return docs


def harness(*args: object, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "ENRS_LANG": "en"}
    return subprocess.run([sys.executable, "-m", "harness", *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=timeout)


def harness_process(*args: object, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "ENRS_LANG": "en"}
    return subprocess.Popen([sys.executable, "-m", "harness", *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=cwd, start_new_session=True)
