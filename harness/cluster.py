"""`validate … --cluster` and `campaign run … --cluster`: the same work on a Dask cluster (docs/cluster.md).

`--cluster ADDRESS` connects to a running Dask scheduler (`tcp://host:8786`); `--cluster local[:N]` starts
an in-process LocalCluster of N worker processes on this machine (default min(4, CPUs)). Dask (the
`distributed` package, extra `enrs-harness[cluster]`) is imported only here, only when asked.

Validation: the client lists the documents, cuts them into chunks and keeps a bounded window of chunks
on the cluster. Each worker builds its validation context (packs, kit) once and keeps it for every chunk
of the same settings. Documents are read by the workers where they are when they share the client's
paths (a LocalCluster always does; for a remote scheduler every worker is asked whether it sees the first
document, identical in size and SHA-256), otherwise, or with --cluster-ship, the client reads and ships
them. A document a worker cannot read is shipped by the client. Results come back in order of
completion and are put back in the order of a local run, so the output is the same. A lost worker's
chunks are run again by Dask; a chunk that kills workers again and again is split and its documents tried
one by one; each document is reported exactly once. Ctrl-C cancels what is left on the cluster.

Campaigns on a cluster: harness/campaign/cluster.py (it uses the connection helpers here).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import __version__
from harness.core.errors import HarnessError
from harness.core.fileio import read_bounded, sha256_hex
from harness.core.findings import ArtefactReport
from harness.core.verdicts import ArtefactVerdict

if TYPE_CHECKING:
    from harness.config.context import ValidationContext

LOCAL = re.compile(r"^local(?::(\d+))?$")
ADDRESS = re.compile(r"^(?:(?:tcp|tls|ucx|inproc)://)?(?:\[[0-9A-Fa-f:.]+\]|[^\s/:\[\]]+):\d{1,5}$")  # host:port, [IPv6]:port
CONNECT_TIMEOUT = 15.0  # seconds to reach the scheduler
NO_WORKER_GRACE = 120.0  # seconds without any worker before the run gives up (nothing hangs for ever)
WAIT_SLICE = 1.0  # seconds between checks of the cluster while waiting for results
MAX_CHUNK = 50  # documents per task: small enough that a lost worker or a Ctrl-C wastes little
CHUNKS_PER_WORKER = 3  # chunks in flight per worker: enough to keep each busy, bounded client memory


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise HarnessError("--cluster demande Dask distributed, absent : pip install 'enrs-harness[cluster]'",
                           "--cluster needs Dask distributed, which is not installed: pip install 'enrs-harness[cluster]'") from exc
    return distributed


def check_spec(spec: str) -> int:
    """Refuse a malformed `--cluster` value, or Dask missing, before any work starts; the LocalCluster's size (0: an address)."""
    local = LOCAL.match(spec)
    if not local and not ADDRESS.match(spec):
        raise HarnessError(f"--cluster : « {spec} » n'est ni une adresse de scheduler Dask (tcp://hôte:port) ni local[:N]",
                           f"--cluster: '{spec}' is neither a Dask scheduler address (tcp://host:port) nor local[:N]")
    workers = int(local.group(1) or min(4, os.cpu_count() or 1)) if local else 0
    if local and not 1 <= workers <= 64:
        raise HarnessError("--cluster local:N : N doit être entre 1 et 64", "--cluster local:N: N must be between 1 and 64")
    _distributed()
    return workers


@contextmanager
def connect(spec: str) -> Iterator[Any]:
    """A Dask client of the scheduler `spec` (an address, or `local[:N]` for an in-process LocalCluster)."""
    workers = check_spec(spec)
    distributed = _distributed()
    for name in ("distributed", "tornado"):  # Dask's own chatter (a lost worker, a closed comm) is not our output
        logging.getLogger(name).setLevel(logging.CRITICAL)
    cluster = None
    try:
        if workers:
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                                               silence_logs=logging.ERROR)
            client = distributed.Client(cluster)
        else:
            client = distributed.Client(spec, timeout=CONNECT_TIMEOUT)
    except BaseException as exc:  # a refused connection, a timeout, or Ctrl-C while the LocalCluster starts
        if cluster is not None:
            cluster.close()
        if isinstance(exc, (OSError, TimeoutError)):
            raise HarnessError(f"--cluster : scheduler Dask injoignable à {spec} ({exc})",
                               f"--cluster: cannot reach the Dask scheduler at {spec} ({exc})") from exc
        raise
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _worker_count(client: Any) -> int:
    return len(client.nthreads())


def _wait_some(client: Any, pending: list[Any], alone_since: float | None) -> tuple[set[Any], float | None]:
    """The futures of `pending` done within WAIT_SLICE, and since when the cluster has had no worker (None: it has some).

    Raises a clear error when the cluster has had no worker for NO_WORKER_GRACE seconds: nothing waits for ever.
    """
    try:
        finished = _distributed().wait(pending, timeout=WAIT_SLICE, return_when="FIRST_COMPLETED").done
    except TimeoutError:
        finished = set()
    if finished or _worker_count(client):
        return finished, None
    now = time.monotonic()
    if alone_since is not None and now - alone_since > NO_WORKER_GRACE:
        raise HarnessError(f"le cluster n'a plus aucun worker depuis {NO_WORKER_GRACE:g} s",
                           f"the cluster has had no worker for {NO_WORKER_GRACE:g} s")
    return finished, alone_since if alone_since is not None else now


def _describe(spec: str, client: Any, lang: str) -> str:
    count = _worker_count(client)
    return f"cluster {spec} : {count} worker(s)" if lang == "fr" else f"cluster {spec}: {count} worker(s)"


# ---- validation ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JudgeSettings:
    """What a worker needs to build the same validation context as the client (hashable: the worker's cache key)."""

    profiles_dirs: tuple[str, ...]
    profile_ids: tuple[str, ...]
    kit: str | None
    volet_versions: tuple[str, ...] = ()  # --volet-version overrides, as given
    vihf_trust: str | None = None  # --vihf-trust: the CA certificates that may sign VIHF assertions (a path the workers read)


def fingerprint(context: ValidationContext) -> tuple[Any, ...]:
    """What must be the same on the client and on every worker for the verdicts to be the same."""
    from harness.cdakit.provenance import kit_provenance

    return (__version__, tuple((p.id, p.version) for p in context.selected),
            repr(kit_provenance(context.kit_dir)) if context.kit_dir else None,
            sha256_hex(context.vihf_trust.read_bytes()) if context.vihf_trust else None)


@lru_cache(maxsize=4)
def _worker_context(settings: JudgeSettings) -> tuple[ValidationContext | None, tuple[Any, ...] | tuple[str, str]]:
    """The worker's validation context, built once per settings: (context, fingerprint) or (None, (fr, en))."""
    from harness.validation.dispatch import make_context

    try:
        context = make_context([Path(d) for d in settings.profiles_dirs], list(settings.profile_ids),
                               Path(settings.kit) if settings.kit else None, list(settings.volet_versions),
                               Path(settings.vihf_trust) if settings.vihf_trust else None)
    except HarnessError as exc:
        return None, (exc.fr, exc.en)
    return context, fingerprint(context)


def judge_chunk(settings: JudgeSettings, items: list[tuple[int, str, str | None, bytes | None]]) -> dict[str, Any]:
    """Run on a worker: judge (index, shown path, path to read, shipped bytes) items.

    A report is None when this worker cannot read the document: the client then ships it.
    """
    from harness.validation.dispatch import validate_bytes

    context, identity = _worker_context(settings)
    if context is None:
        return {"error": identity}
    reports: list[tuple[int, ArtefactReport | None]] = []
    for index, shown, read_path, data in items:
        if data is None:
            try:
                data = read_bounded(Path(read_path or shown), context.max_bytes)
            except HarnessError:
                reports.append((index, None))
                continue
        reports.append((index, validate_bytes(data, shown, context)))
    return {"fingerprint": identity, "reports": reports}


def _sees(path: str, size: int, digest: str) -> bool:
    """Run on each worker: does it see the client's document at the same path, with the same content?"""
    try:
        data = Path(path).read_bytes() if Path(path).stat().st_size == size else b""
    except OSError:
        return False
    return len(data) == size and hashlib.sha256(data).hexdigest() == digest


def _shared_paths(client: Any, first: Path) -> bool:
    try:
        data = read_bounded(first)
    except HarnessError:
        return False
    seen = client.run(_sees, str(first.resolve()), len(data), hashlib.sha256(data).hexdigest())
    return bool(seen) and all(seen.values())


def _chunks(count: int, workers: int) -> deque[list[int]]:
    size = max(1, min(MAX_CHUNK, count // (max(1, workers) * 8)))
    return deque(list(range(start, min(start + size, count))) for start in range(0, count, size))


def stream_reports(spec: str, files: list[Path], settings: JudgeSettings, context: ValidationContext,
                   ship: bool = False, lang: str = "fr") -> Iterator[tuple[int, ArtefactReport]]:
    """(index in `files`, report) pairs in order of completion, each index exactly once."""
    from harness.validation.dispatch import validate_file

    distributed = _distributed()
    expected = fingerprint(context)
    with connect(spec) as client:
        ship = ship or (not LOCAL.match(spec) and not _shared_paths(client, files[0]))
        how = (("documents envoyés par ce client" if lang == "fr" else "documents shipped by this client") if ship else
               ("documents lus par les workers là où ils sont (chemin partagé)" if lang == "fr"
                else "documents read by the workers where they are (shared path)"))
        print(f"{_describe(spec, client, lang)}, {how}", file=sys.stderr, flush=True)
        queue = _chunks(len(files), _worker_count(client))
        shipped: set[int] = set()  # documents the client reads and sends (a worker could not read them)
        pending: dict[Any, list[int]] = {}
        token, serial = uuid.uuid4().hex[:12], 0
        alone_since: float | None = None
        try:
            while queue or pending:
                window = CHUNKS_PER_WORKER * max(1, _worker_count(client)) if queue else 0
                while queue and len(pending) < window:
                    items: list[tuple[int, str, str | None, bytes | None]]
                    indices, items = queue.popleft(), []
                    for index in indices:
                        path = files[index]
                        if ship or index in shipped:
                            try:
                                items.append((index, str(path), None, read_bounded(path, context.max_bytes)))
                            except HarnessError:  # unreadable here too: the local verdict, word for word
                                yield index, validate_file(path, context)
                        else:
                            items.append((index, str(path), str(path.resolve()), None))
                    if items:
                        serial += 1
                        future = client.submit(judge_chunk, settings, items, key=f"enrs-validate-{token}-{serial}", pure=False)
                        pending[future] = [item[0] for item in items]
                if not pending:
                    continue
                finished, alone_since = _wait_some(client, list(pending), alone_since)
                for future in finished:
                    indices = pending.pop(future)
                    if future.status == "error":
                        exc = future.exception()
                        if isinstance(exc, distributed.KilledWorker):
                            yield from _killed(indices, files, queue, exc)
                            continue
                        raise HarnessError(f"un worker n'a pas pu juger ses documents : {type(exc).__name__}: {exc}",
                                           f"a worker could not judge its documents: {type(exc).__name__}: {exc}")
                    result = future.result()
                    future.release()
                    unread = _check(result, expected)
                    if unread:
                        shipped.update(unread)
                        queue.appendleft(unread)
                    yield from ((index, report) for index, report in result["reports"] if report is not None)
        finally:  # Ctrl-C, an error, or a consumer that stopped: nothing of ours stays on the cluster
            if pending:
                client.cancel(list(pending), force=True)


def _check(result: dict[str, Any], expected: tuple[Any, ...]) -> list[int]:
    """Stop on a worker that could not load the packs or judges differently; the documents it could not read."""
    if "error" in result:
        fr, en = result["error"]
        raise HarnessError(f"un worker n'a pas pu charger les packs : {fr}", f"a worker could not load the packs: {en}")
    if result["fingerprint"] != expected:
        raise HarnessError(
            f"un worker juge avec une autre version du harness, d'autres packs ou un autre kit : {result['fingerprint']} au lieu de "
            f"{expected}",
            f"a worker judges with another harness version, other packs or another kit: {result['fingerprint']} instead of {expected}")
    return [index for index, report in result["reports"] if report is None]


def _killed(indices: list[int], files: list[Path], queue: deque[list[int]], exc: BaseException) -> list[tuple[int, ArtefactReport]]:
    """A chunk whose workers kept dying: retry its documents one by one; a document alone is ABORTED with why."""
    if len(indices) > 1:
        queue.extendleft([index] for index in reversed(indices))
        return []
    reason = (f"le worker qui jugeait ce document s'est arrêté à plusieurs reprises ({exc}) / "
              f"the worker judging this document died repeatedly ({exc})")
    return [(indices[0], ArtefactReport(path=str(files[indices[0]]), sha256="", kind=None, verdict=ArtefactVerdict.ABORTED, reason=reason))]


def validate_on_cluster(spec: str, files: list[Path], profiles_dirs: list[Path], profile_ids: list[str], kit: Path | None,
                        context: ValidationContext, ship: bool = False, lang: str = "fr",
                        volet_versions: list[str] | None = None, vihf_trust: Path | None = None) -> list[ArtefactReport]:
    """The reports of `files` judged on the cluster, in the order of `files` (as a local run gives them)."""
    settings = JudgeSettings(tuple(str(Path(d).resolve()) for d in profiles_dirs), tuple(profile_ids),
                             str(kit.resolve()) if kit else None, tuple(volet_versions or ()),
                             str(vihf_trust.resolve()) if vihf_trust else None)
    reports: list[ArtefactReport | None] = [None] * len(files)
    for index, report in stream_reports(spec, files, settings, context, ship, lang):
        if reports[index] is not None:
            raise HarnessError(f"document jugé deux fois : {files[index]}", f"document judged twice: {files[index]}")
        reports[index] = report
    missing = [str(files[i]) for i, r in enumerate(reports) if r is None]
    if missing:
        raise HarnessError(f"documents sans verdict : {missing[:5]}", f"documents without a verdict: {missing[:5]}")
    return [r for r in reports if r is not None]
