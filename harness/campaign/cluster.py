"""`campaign run … --cluster`: each candidate's run is one task on a Dask cluster, with its timeout (enforced on
the worker); the task returns the run's files and the client writes them where a local campaign does
(docs/cluster.md; the connection helpers are harness/cluster.py's)."""

from __future__ import annotations

import sys
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.campaign import runner
from harness.campaign.config import Campaign, Candidate
from harness.cluster import WAIT_SLICE, _describe, _distributed, _wait_some, connect
from harness.core.fileio import atomic_write_bytes


def _candidate_inputs(campaign: Campaign, candidate: Candidate) -> list[Path]:
    paths = [*candidate.documents, *campaign.profiles_dirs, *campaign.suites]
    return paths + [p for p in (candidate.target, campaign.waivers, campaign.sign_with) if p is not None]


def run_candidate_task(campaign: Campaign, candidate: Candidate, stop_event: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Run on a worker: one candidate's run in a scratch folder; (outcome, the run's files by relative path)."""
    missing = [str(p) for p in _candidate_inputs(campaign, candidate) if not p.exists()]
    if missing:
        why = f"le worker ne voit pas {missing[0]} / the worker cannot see {missing[0]} (docs/cluster.md: shared paths)"
        return {"name": candidate.name, "vendor": candidate.vendor, "version": candidate.version, "slug": candidate.slug,
                "status": runner.ABORTED, "reason": why, "duration": 0}, {}
    distributed = _distributed()
    # in the worker's own folder: Dask clears what a killed worker leaves there
    with tempfile.TemporaryDirectory(prefix="enrs-candidate-", dir=distributed.get_worker().local_directory) as scratch:
        folder = Path(scratch) / "candidates" / candidate.slug
        box: dict[str, Any] = {}
        thread = threading.Thread(target=lambda: box.update(outcome=runner.run_candidate(campaign, candidate, folder)), daemon=True)
        thread.start()
        stop = distributed.Event(stop_event, client=distributed.get_client())
        while thread.is_alive():
            if stop.wait(WAIT_SLICE):  # the client was interrupted: stop this candidate's run and all it started
                with runner._LIVE_LOCK:
                    mine = [p for p in runner._LIVE if any(str(folder) in str(arg) for arg in p.args)]  # type: ignore[union-attr]  # Popen.args is typed as a union; the runner always passes a list
                for process in mine:
                    runner._stop(process)
            thread.join(0.1)
        files = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    return box["outcome"], files


def run_campaign_on_cluster(spec: str, campaign: Campaign, run_folder: Path,
                            on_done: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Every candidate as a task on the cluster; outcomes in the campaign's order, files written here."""
    distributed = _distributed()
    with connect(spec) as client:
        print(_describe(spec, client, campaign.lang), file=sys.stderr, flush=True)
        stop_event = f"enrs-campaign-stop-{uuid.uuid4().hex}"
        futures = {client.submit(run_candidate_task, campaign, candidate, stop_event,
                                 key=f"enrs-candidate-{candidate.slug}-{stop_event[-12:]}",
                                 pure=False): index for index, candidate in enumerate(campaign.candidates)}
        outcomes: list[dict[str, Any] | None] = [None] * len(campaign.candidates)
        pending, alone_since = dict(futures), None
        try:
            while pending:
                finished, alone_since = _wait_some(client, list(pending), alone_since)
                for future in finished:
                    _candidate_done(future, pending.pop(future), campaign, run_folder, outcomes, on_done)
        except BaseException:  # Ctrl-C, SIGTERM: stop the runs on the workers, cancel the rest
            distributed.Event(stop_event, client=client).set()
            client.cancel(list(futures), force=True)
            raise
    return [o for o in outcomes if o is not None]


def _candidate_done(future: Any, index: int, campaign: Campaign, run_folder: Path, outcomes: list[dict[str, Any] | None],
                    on_done: Callable[[dict[str, Any]], None] | None) -> None:
    """Write a finished candidate's files where a local campaign puts them; its outcome in its place."""
    candidate = campaign.candidates[index]
    try:
        outcome, files = future.result()
    except Exception as exc:
        outcome, files = {"name": candidate.name, "vendor": candidate.vendor, "version": candidate.version, "slug": candidate.slug,
                          "status": "ABORTED", "reason": f"erreur du cluster / cluster error: {type(exc).__name__}: {exc}",
                          "duration": 0}, {}
    folder = run_folder / "candidates" / candidate.slug
    for relative, data in files.items():
        atomic_write_bytes(folder / relative, data)
    outcomes[index] = outcome
    if on_done:
        on_done(outcome)
