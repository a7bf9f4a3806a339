"""Running a campaign: each candidate in its own `python -m harness run` subprocess, bounded in
parallel, with a timeout. A candidate that crashes, hangs or is unreachable is ABORTED with the
reason; the others go on.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import harness
from harness.campaign.config import Campaign, Candidate
from harness.config.target import Target, load_target
from harness.core.errors import HarnessError
from harness.core.fileio import atomic_write_text
from harness.core.results import RequirementRow, Results, failures, verdict_counts

CERTIFIED, NOT_CONFORMANT, ABORTED = "CERTIFIED", "NOT_CONFORMANT", "ABORTED"
KILL_GRACE_SECONDS = 5.0
_LIVE: set[subprocess.Popen[bytes]] = set()  # runs in progress, stopped if the campaign itself is interrupted
_LIVE_LOCK = threading.Lock()
_STOPPING = threading.Event()
PREFLIGHT_MAX_SECONDS = 5.0


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def candidate_target(candidate: Candidate, folder: Path) -> Path:
    """The target file of the run: the candidate's own, or one written from the campaign's entry."""
    if candidate.target is not None:
        return candidate.target
    path = folder / "target.toml"
    documents = ", ".join(_toml_string(str(d)) for d in candidate.documents)
    atomic_write_text(path, f"# written by enrs-harness campaign run\n[candidate]\nname = {_toml_string(candidate.name)}\n"
                            f"vendor = {_toml_string(candidate.vendor or '')}\nversion = {_toml_string(candidate.version or '')}\n\n"
                            f"[documents]\npaths = [{documents}]\n")
    return path


def check_identity(candidate: Candidate, target: Target) -> None:
    for key, given in (("name", candidate.name), ("vendor", candidate.vendor), ("version", candidate.version)):
        actual = getattr(target, key)
        if given is not None and given != actual:
            raise HarnessError(f"le fichier cible dit {key} = « {actual} », la campagne dit « {given} »",
                               f"the target file says {key} = '{actual}', the campaign says '{given}'")


def preflight(target: Target) -> str | None:
    """None when at least one endpoint accepts a connection (or there is none); else why not."""
    if not target.endpoints:
        return None
    failures = []
    for endpoint in target.endpoints:
        try:
            with socket.create_connection((endpoint.host, endpoint.port), timeout=min(target.timeouts.connect, PREFLIGHT_MAX_SECONDS)):
                return None
        except OSError as exc:
            failures.append(f"{endpoint.host}:{endpoint.port} ({exc.strerror or exc})")
    return "; ".join(failures)


def run_arguments(campaign: Campaign, candidate: Candidate, target: Path, report_dir: Path) -> list[str]:
    argv = [sys.executable, "-m", "harness", "run", "--report-dir", str(report_dir), "--target", str(target),
            "--lang", campaign.lang, "--quiet"]
    for option, values in (("--profile", candidate.profiles), ("--profiles-dir", campaign.profiles_dirs), ("--suites", campaign.suites)):
        for value in values:
            argv += [option, str(value)]
    if candidate.target is not None:
        for document in candidate.documents:
            argv += ["--documents", str(document)]
    else:  # the target file written from the campaign names the campaign's documents: the campaign allows them
        for document in candidate.documents:
            argv += ["--allow-dir", str(document)]
    if campaign.waivers:
        argv += ["--waivers", str(campaign.waivers)]
    if campaign.sign_with:
        argv += ["--sign-with", str(campaign.sign_with)]
    return argv


def _environment() -> dict[str, str]:
    """The subprocess runs the same harness code as this process."""
    root = str(Path(harness.__file__).resolve().parent.parent)
    current = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + current if current else "")}


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the run and everything it started (its own process group), then kill what is left."""
    for sig, wait in ((signal.SIGTERM, KILL_GRACE_SECONDS), (signal.SIGKILL, KILL_GRACE_SECONDS)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    kept = [line.strip() for line in text.splitlines() if line.strip() and not set(line.strip()) <= {"=", "-"}]
    return " | ".join(kept[-lines:])[:600]


def run_candidate(campaign: Campaign, candidate: Candidate, folder: Path) -> dict[str, Any]:
    """Run one candidate; never raises: whatever goes wrong makes the candidate ABORTED with the reason."""
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    outcome: dict[str, Any] = {"name": candidate.name, "vendor": candidate.vendor, "version": candidate.version,
                               "slug": candidate.slug, "status": ABORTED, "reason": None, "returncode": None,
                               "run_dir": None, "log": str((folder / "run.log").relative_to(folder.parent.parent))}
    try:
        target_file = candidate_target(candidate, folder)
        target = load_target(target_file, candidate.documents)
        check_identity(candidate, target)
        outcome.update(vendor=target.vendor, version=target.version)
    except HarnessError as exc:
        outcome["reason"] = f"{exc.fr} / {exc.en}"
        (folder / "run.log").write_text(outcome["reason"] + "\n", encoding="utf-8")
        return _finish(outcome, started)
    unreachable = preflight(target)
    if unreachable:
        outcome["reason"] = f"injoignable / unreachable: {unreachable}"
        (folder / "run.log").write_text(outcome["reason"] + "\n", encoding="utf-8")
        return _finish(outcome, started)

    report_dir = folder / "run"
    with (folder / "run.log").open("wb") as log:
        with _LIVE_LOCK:
            if _STOPPING.is_set():
                raise KeyboardInterrupt
            process = subprocess.Popen(run_arguments(campaign, candidate, target_file, report_dir), stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, env=_environment(), start_new_session=True)
            _LIVE.add(process)
        try:
            outcome["returncode"] = process.wait(candidate.timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            outcome["returncode"] = process.returncode
            outcome["reason"] = (f"délai dépassé ({candidate.timeout:g} s) : le candidat ne répond pas, exécution interrompue / "
                                 f"timed out after {candidate.timeout:g} s: the candidate did not answer, run stopped")
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(process)
    runs = sorted(p for p in report_dir.iterdir() if p.is_dir()) if report_dir.is_dir() else []
    if runs:
        outcome["run_dir"] = str(runs[-1].relative_to(folder.parent.parent))
    results = _read_results(runs[-1]) if runs else None
    if outcome["reason"] is None:
        if results is None:
            outcome["reason"] = (f"le lancement a échoué (code {outcome['returncode']}) : {_tail(folder / 'run.log')} / "
                                 f"the run failed (exit status {outcome['returncode']}): {_tail(folder / 'run.log')}")
        elif outcome["returncode"] not in (0, 1):
            why = _tail(folder / "run.log") or "—"
            outcome["reason"] = (f"le processus s'est arrêté anormalement (code {outcome['returncode']}) : {why} / "
                                 f"the run's process ended abnormally (exit status {outcome['returncode']}): {why}")
        elif not results["run"]["complete"]:
            outcome["reason"] = f"exécution incomplète / incomplete run: {results['run'].get('incomplete_reason')}"
    if results is not None:
        outcome.update(summarise(results))
    if outcome["reason"] is None:
        outcome["status"] = CERTIFIED if results and results["summary"]["certificate_issued"] else NOT_CONFORMANT
    return _finish(outcome, started)


def _finish(outcome: dict[str, Any], started: float) -> dict[str, Any]:
    outcome["duration"] = round(time.monotonic() - started, 2)
    return outcome


def _read_results(run_dir: Path) -> dict[str, Any] | None:
    try:
        results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return results if isinstance(results, dict) and "run" in results else None


def profile_verdict(rows: list[RequirementRow]) -> str:
    """One profile's verdict for the dashboard, from its requirements' verdicts."""
    must = [r.verdict for r in rows if r.level == "MUST"]
    if "FAILED" in must:
        return "FAILED"
    if "ABORTED" in must:
        return "ABORTED"
    if "NOT_TESTED" in must:
        return "NOT_TESTED"
    if any(r.verdict == "WAIVED" for r in rows):
        return "WAIVED"
    if any(r.verdict == "PASSED" for r in rows):
        return "PASSED"
    return "NOT_APPLICABLE"


def summarise(data: dict[str, Any]) -> dict[str, Any]:
    """What the dashboard and the history need from a run's results.json."""
    results = Results.from_dict(data)
    profiles = []
    for profile in results.profiles:
        mine = results.rows_of(profile.id)
        profiles.append({
            "id": profile.id, "version": profile.version, "verdict": profile_verdict(mine),
            "failed_must": failures(mine, "MUST"),
            "failed_should": failures(mine, "SHOULD"),
            "waived": verdict_counts(r.verdict for r in mine)["WAIVED"],
            "requirements": len(mine),
        })
    summary = results.summary
    return {
        "run_complete": results.run.complete,
        "run_id": results.run.id,
        "certificate_issued": summary.certificate_issued,
        "failed_must": summary.failed_must,
        "failed_should": summary.failed_should,
        "waived": summary.verdicts.get("WAIVED", 0),
        "profiles": profiles,
        "requirements": {r.id: {"verdict": r.verdict, "level": r.level} for r in results.requirements},
        "waivers": data.get("waivers", []),
        # why no certificate, even with 0 failed MUST (an artefact or a check not judged): the count and the first items
        "blocking_count": summary.blocking_count if summary.blocking_count is not None else len(summary.blocking),
        "blocking": [{k: b.get(k) for k in ("kind", "id", "verdict", "reason")} for b in (results.blocking or [])[:5]],
        "ignored_count": len(results.ignored),
    }


def run_campaign(campaign: Campaign, run_folder: Path, jobs: int,
                 on_done: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Run every candidate, at most `jobs` at a time; outcomes in the campaign's order."""
    def one(candidate: Candidate) -> dict[str, Any]:
        try:
            outcome = run_candidate(campaign, candidate, run_folder / "candidates" / candidate.slug)
        except Exception as exc:  # one candidate's trouble must never stop the others
            outcome = {"name": candidate.name, "vendor": candidate.vendor, "version": candidate.version, "slug": candidate.slug,
                       "status": ABORTED, "reason": f"erreur interne / internal error: {type(exc).__name__}: {exc}", "duration": 0}
        if on_done:
            on_done(outcome)
        return outcome

    _STOPPING.clear()
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="candidate")
    try:
        futures = [pool.submit(one, candidate) for candidate in campaign.candidates]
        return [future.result() for future in futures]
    except BaseException:  # Ctrl-C, SIGTERM: stop every run in progress, leave no process behind
        _STOPPING.set()
        pool.shutdown(wait=False, cancel_futures=True)
        with _LIVE_LOCK:
            live = list(_LIVE)
        for process in live:
            _stop(process)
        raise
    finally:
        pool.shutdown(wait=True)
