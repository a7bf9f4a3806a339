"""`validate --cluster`: the same output as a local run, through a real scheduler and two worker processes."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import pytest

from harness.cli import main

from .conftest import REPO, DaskProcesses, harness, harness_process, make_corpus

KILL_DEADLINE = 300.0


def _our_tasks_processing(address: str) -> dict[str, list[str]]:
    """Worker name -> keys of validate tasks it is running now."""
    from distributed import Client

    with Client(address, timeout=30) as client:
        names = {addr: w["name"] for addr, w in client.scheduler_info(n_workers=-1)["workers"].items()}
        return {names.get(addr, addr): [str(k) for k in keys if "enrs-validate" in str(k)] for addr, keys in client.processing().items()}


def _our_tasks_on_scheduler(address: str) -> list[str]:
    from distributed import Client

    with Client(address, timeout=30) as client:
        return client.run_on_scheduler(lambda dask_scheduler: [str(k) for k in dask_scheduler.tasks if "enrs-validate" in str(k)])


def test_cluster_output_is_identical_to_a_local_run(dask_cluster: DaskProcesses, tmp_path: Path) -> None:
    make_corpus(tmp_path, copies=4)  # about 200 documents: conforming, nonconforming and unreadable ones
    local_json = harness("validate", "docs", "--format", "json", cwd=tmp_path)
    local_text = harness("validate", "docs", "--lang", "fr", cwd=tmp_path)
    assert local_json.returncode == 2, local_json.stderr  # the fixtures include ABORTED ones
    summary = json.loads(local_json.stdout)["summary"]
    assert summary["PASSED"] and summary["FAILED"] and summary["ABORTED"]

    shared = harness("validate", "docs", "--format", "json", "--cluster", dask_cluster.address, cwd=tmp_path)
    assert shared.returncode == local_json.returncode, shared.stderr
    assert shared.stdout == local_json.stdout
    assert "2 worker(s)" in shared.stderr and "read by the workers where they are (shared path)" in shared.stderr

    shipped = harness("validate", "docs", "--lang", "fr", "--cluster", dask_cluster.address, "--cluster-ship", cwd=tmp_path)
    assert shipped.returncode == local_text.returncode, shipped.stderr
    assert shipped.stdout == local_text.stdout
    assert "documents envoyés par ce client" in shipped.stderr
    assert _our_tasks_on_scheduler(dask_cluster.address) == []  # nothing left behind


def test_all_conforming_documents_exit_zero_on_the_cluster(dask_cluster: DaskProcesses, tmp_path: Path) -> None:
    run = harness("validate", REPO / "fixtures" / "conforming", "--format", "json", "--cluster", dask_cluster.address, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["summary"]["FAILED"] == 0


def test_a_worker_killed_mid_run_loses_nothing_and_judges_nothing_twice(dask_cluster: DaskProcesses, tmp_path: Path) -> None:
    make_corpus(tmp_path, copies=6)
    local = harness("validate", "docs", "--format", "json", cwd=tmp_path)
    run = harness_process("validate", "docs", "--format", "json", "--cluster", dask_cluster.address, cwd=tmp_path)
    try:
        deadline = time.monotonic() + KILL_DEADLINE
        while not _our_tasks_processing(dask_cluster.address).get("worker0"):
            assert run.poll() is None, "the run ended before worker0 got work: " + run.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        dask_cluster.kill(dask_cluster.workers[0])  # SIGKILL to the worker and its nanny, while it judges a chunk
        assert run.poll() is None, "the run must still be going when the worker dies"
        out, err = run.communicate(timeout=KILL_DEADLINE)
    finally:
        if run.poll() is None:
            run.kill()
    assert "worker0" not in dask_cluster.worker_names()
    assert run.returncode == local.returncode, err
    assert out == local.stdout  # every document once, in the local order, with the same verdicts and findings
    assert len(json.loads(out)["files"]) == len(json.loads(local.stdout)["files"])


def test_ctrl_c_cancels_the_work_on_the_cluster(dask_cluster: DaskProcesses, tmp_path: Path) -> None:
    make_corpus(tmp_path, copies=8)
    run = harness_process("validate", "docs", "--format", "json", "--cluster", dask_cluster.address, cwd=tmp_path)
    try:
        deadline = time.monotonic() + KILL_DEADLINE
        while not any(_our_tasks_processing(dask_cluster.address).values()):
            assert run.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 1 and "interrupted" in err and out == ""
    deadline = time.monotonic() + 60
    while _our_tasks_on_scheduler(dask_cluster.address):
        assert time.monotonic() < deadline, "tasks of the interrupted run are still on the cluster"
        time.sleep(0.5)
    assert dask_cluster.worker_names() == {"worker0", "worker1"}  # the cluster itself is left as it was


def test_local_cluster_gives_the_same_json(tmp_path: Path) -> None:
    local = harness("validate", REPO / "fixtures", "--format", "json", cwd=tmp_path)
    cluster = harness("validate", REPO / "fixtures", "--format", "json", "--cluster", "local:2", cwd=tmp_path)
    assert cluster.returncode == local.returncode, cluster.stderr
    assert cluster.stdout == local.stdout
    assert "local:2: 2 worker(s)" in cluster.stderr


@pytest.mark.parametrize("lang,words", [("fr", "absent : pip install 'enrs-harness[cluster]'"),
                                        ("en", "not installed: pip install 'enrs-harness[cluster]'")])
def test_without_dask_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], lang: str,
                                                words: str) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    assert main(["validate", str(REPO / "fixtures" / "conforming"), "--cluster", "local:1", "--lang", lang]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_the_local_run_does_not_import_dask(tmp_path: Path) -> None:
    code = ("import sys; from harness.cli import main; rc = main(['validate', {!r}]); "
            "print('distributed' in sys.modules, rc)".format(str(REPO / "fixtures" / "conforming")))
    import subprocess

    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert run.stdout.strip().endswith("False 0"), run.stderr


@pytest.mark.parametrize("spec,words", [("local:0", "N must be between 1 and 64"), ("http://example", "neither a Dask scheduler address"),
                                        ("local:x", "neither a Dask scheduler address")])
def test_bad_cluster_spec_is_a_clear_error(capsys: pytest.CaptureFixture[str], spec: str, words: str) -> None:
    assert main(["validate", str(REPO / "fixtures" / "conforming"), "--cluster", spec, "--lang", "en"]) == 2
    assert words in capsys.readouterr().err


def test_unreachable_scheduler_is_a_clear_error_not_a_hang(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    import harness.cluster

    monkeypatch.setattr(harness.cluster, "CONNECT_TIMEOUT", 2.0)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    started = time.monotonic()
    assert main(["validate", str(REPO / "fixtures" / "conforming"), "--cluster", f"tcp://127.0.0.1:{port}", "--lang", "fr"]) == 2
    assert "scheduler Dask injoignable" in capsys.readouterr().err
    assert time.monotonic() - started < 60


def test_a_worker_judges_what_it_reads_and_hands_back_what_it_cannot_read(tmp_path: Path) -> None:
    from harness.cluster import JudgeSettings, fingerprint, judge_chunk
    from harness.validation.dispatch import make_context, validate_file

    document = next((REPO / "fixtures" / "nonconforming" / "cda").iterdir())
    settings = JudgeSettings((), (), None)
    result = judge_chunk(settings, [(0, "shown/name.xml", str(document), None), (1, "gone.xml", str(tmp_path / "gone.xml"), None),
                                    (2, "shipped.xml", None, document.read_bytes())])
    context = make_context([], [], None)
    assert result["fingerprint"] == fingerprint(context)
    (i0, read), (i1, unread), (i2, shipped) = result["reports"]
    expected = validate_file(document, context).to_dict()
    assert (i0, i1, i2) == (0, 1, 2) and unread is None  # the client ships what a worker cannot read
    assert read is not None and read.to_dict() == {**expected, "path": "shown/name.xml"}
    assert shipped is not None and shipped.to_dict() == {**expected, "path": "shipped.xml"}
    assert judge_chunk(JudgeSettings((), ("no-such-pack",), None), [])["error"][1]  # a worker that cannot load the packs says why


def test_a_chunk_that_keeps_killing_workers_is_retried_one_by_one_then_aborted_with_why() -> None:
    from collections import deque

    from harness.cluster import _killed

    files, queue = [Path("a.xml"), Path("b.xml"), Path("c.xml")], deque([[2]])
    assert _killed([0, 1], files, queue, RuntimeError("boom")) == []
    assert list(queue) == [[0], [1], [2]]  # tried alone, first
    [(index, report)] = _killed([1], files, queue, RuntimeError("boom"))
    assert index == 1 and report.path == "b.xml" and report.verdict == "ABORTED"
    assert "died repeatedly" in (report.reason or "") and "s'est arrêté" in (report.reason or "")


def test_a_cluster_without_workers_is_a_clear_error_not_a_hang(dask_cluster: DaskProcesses, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    import harness.cluster

    for worker in dask_cluster.workers:
        dask_cluster.kill(worker)
    deadline = time.monotonic() + 60
    while dask_cluster.worker_names():
        assert time.monotonic() < deadline
        time.sleep(0.5)
    monkeypatch.setattr(harness.cluster, "NO_WORKER_GRACE", 3.0)
    started = time.monotonic()
    assert main(["validate", str(REPO / "fixtures" / "conforming"), "--cluster", dask_cluster.address, "--lang", "en"]) == 2
    captured = capsys.readouterr()
    assert "the cluster has had no worker for 3 s" in captured.err and "0 worker(s), documents shipped by this client" in captured.err
    assert time.monotonic() - started < 60
    assert _our_tasks_on_scheduler(dask_cluster.address) == []  # the run's tasks were cancelled


def test_documents_a_worker_cannot_see_are_shipped_by_the_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    import harness.cluster

    from .conftest import can_hide_a_folder, start_scheduler

    docs = make_corpus(tmp_path, copies=1)
    if not can_hide_a_folder(docs):
        pytest.skip("needs root and unshare to start a worker that does not see the documents")
    assert main(["validate", str(docs), "--format", "json"]) == 2
    local = capsys.readouterr().out
    cluster = start_scheduler(tmp_path / "dask")
    try:
        cluster.start_worker(blind_to=docs)  # the documents' folder is empty for this worker
        cluster.wait_for_workers(1)
        # the probe finds that the worker does not see the documents: the client ships them
        assert main(["validate", str(docs), "--format", "json", "--cluster", cluster.address, "--lang", "en"]) == 2
        shipped = capsys.readouterr()
        assert shipped.out == local and "documents shipped by this client" in shipped.err
        # told that paths are shared, the worker hands back every document it cannot read, and the client ships them
        monkeypatch.setattr(harness.cluster, "_shared_paths", lambda client, first: True)
        assert main(["validate", str(docs), "--format", "json", "--cluster", cluster.address, "--lang", "en"]) == 2
        fallback = capsys.readouterr()
        assert fallback.out == local and "read by the workers where they are" in fallback.err
    finally:
        cluster.stop()


def test_ctrl_c_on_a_local_cluster_leaves_no_worker_process(tmp_path: Path) -> None:
    import psutil

    make_corpus(tmp_path, copies=60)  # about 3,000 documents: still judging when interrupted
    run = harness_process("validate", "docs", "--format", "json", "--cluster", "local:2", cwd=tmp_path)
    try:
        deadline = time.monotonic() + KILL_DEADLINE
        children: list[psutil.Process] = []
        while len(children) < 2:  # the LocalCluster's worker processes
            assert run.poll() is None and time.monotonic() < deadline
            children = [c for c in psutil.Process(run.pid).children(recursive=True) if "spawn_main" in " ".join(c.cmdline())]
            time.sleep(0.2)
        time.sleep(1)  # judging
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 1 and "interrupted" in err and out == ""
    assert "WARNING" not in err  # Dask's worker logs are not the harness's output
    gone, alive = psutil.wait_procs(children, timeout=30)
    assert alive == []
