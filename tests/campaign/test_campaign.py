"""Campaigns: statuses, aborted candidates, links, signed certificates, waivers, history, errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness.campaign import runner
from harness.campaign.config import load_campaign
from harness.validation.dispatch import expand_paths

from .conftest import (
    CDA_FIXTURES,
    CDA_PACKS,
    ENDPOINT_PACKS,
    HANG_TIMEOUT,
    HL7V2_PACKS,
    REPO,
    TOY,
    CampaignRuns,
    _candidate,
    harness,
    write_campaign,
)


def test_exit_status_and_summary(campaign_runs: CampaignRuns) -> None:
    assert campaign_runs.first_process.returncode == 1, campaign_runs.first_process.stderr
    data = campaign_runs.data(campaign_runs.first)
    assert data["summary"] == {"candidates": 16, "certified": 7, "not_conformant": 4, "aborted": 5}
    assert data["campaign"]["previous"] is None
    assert "Dashboard:" in campaign_runs.first_process.stdout


@pytest.mark.parametrize(("name", "status", "failed_must", "failed_should", "waived", "profile_verdict"), [
    ("Good", "CERTIFIED", 0, 0, 0, "PASSED"),
    ("Broken", "CERTIFIED", 0, 0, 1, "WAIVED"),
    ("Warn", "CERTIFIED", 0, 1, 0, "PASSED"),
    ("Fixing", "NOT_CONFORMANT", 1, 0, 0, "FAILED"),
])
def test_candidates_that_ran(campaign_runs: CampaignRuns, name: str, status: str, failed_must: int, failed_should: int,
                             waived: int, profile_verdict: str) -> None:
    candidate = campaign_runs.candidate(campaign_runs.first, name)
    assert candidate["status"] == status and candidate["reason"] is None
    assert (candidate["failed_must"], candidate["failed_should"], candidate["waived"]) == (failed_must, failed_should, waived)
    assert [(p["id"], p["verdict"]) for p in candidate["profiles"]] == [("toy-certs", profile_verdict)]
    for key in ("report", "certificate", "results"):
        assert (campaign_runs.first / candidate[key]).is_file()
    assert Path(candidate["run_dir"]).parts[:2] == ("candidates", name.lower())


def test_candidates_of_real_cda_documents(campaign_runs: CampaignRuns) -> None:
    conforming = campaign_runs.candidate(campaign_runs.first, "CDA conforming")
    assert conforming["status"] == "CERTIFIED"
    assert [p["id"] for p in conforming["profiles"]] == CDA_PACKS and {p["verdict"] for p in conforming["profiles"]} == {"PASSED"}
    nonconforming = campaign_runs.candidate(campaign_runs.first, "CDA nonconforming")
    assert nonconforming["status"] == "NOT_CONFORMANT" and nonconforming["failed_must"] > 0
    assert "FAILED" in {p["verdict"] for p in nonconforming["profiles"]}
    process = harness("certificate", "verify", campaign_runs.first / conforming["certificate"], "--trust",
                      campaign_runs.issuer / "issuer-cert.pem", "--artefacts", CDA_FIXTURES / "conforming" / "cda")
    assert process.returncode == 0, process.stdout
    assert f"Artefacts checked: {len(list(expand_paths([CDA_FIXTURES / 'conforming' / 'cda'])))}" in process.stdout


def test_candidates_of_hl7v2_messages(campaign_runs: CampaignRuns) -> None:
    both = campaign_runs.candidate(campaign_runs.first, "Messages and documents")
    assert both["status"] == "CERTIFIED"
    assert [p["id"] for p in both["profiles"]] == CDA_PACKS + HL7V2_PACKS
    bad = campaign_runs.candidate(campaign_runs.first, "Messages nonconforming")
    assert bad["status"] == "NOT_CONFORMANT" and bad["failed_must"] > 0
    page = (campaign_runs.first / "dashboard.html").read_text(encoding="utf-8")
    for pack in CDA_PACKS + HL7V2_PACKS + ["toy-certs"]:
        assert f"data-profile='{pack}'" in page  # every profile of the campaign, in a candidate's row and its drill-down


def test_simulator_candidates(campaign_runs: CampaignRuns) -> None:
    conforming = campaign_runs.candidate(campaign_runs.first, "Simulator conforming")
    assert conforming["status"] == "CERTIFIED", conforming
    assert [(p["id"], p["verdict"]) for p in conforming["profiles"]] == [(p, "PASSED") for p in ENDPOINT_PACKS]
    faulty = campaign_runs.candidate(campaign_runs.first, "Simulator faulty")
    assert faulty["status"] == "NOT_CONFORMANT"
    failed = {rid for rid, r in faulty["requirements"].items() if r["verdict"] == "FAILED"}
    assert {"SEC-HTTP-01", "SEC-HTTP-02", "SEC-TLS-05", "CISIS-MLLP-01"} <= failed
    assert {p["id"]: p["verdict"] for p in faulty["profiles"]} == {"pgssi-s-security": "FAILED", "ci-sis-mllp-transport": "FAILED"}


def test_fixed_simulator_shows_as_newly_passing(campaign_runs: CampaignRuns) -> None:
    change = campaign_runs.data(campaign_runs.second)["history"]["candidates"]["Simulator faulty"]
    assert (change["before"], change["after"]) == ("NOT_CONFORMANT", "CERTIFIED")
    assert {"SEC-HTTP-01", "SEC-HTTP-02", "SEC-TLS-05", "CISIS-MLLP-01"} <= {x["requirement"] for x in change["newly_passing"]}
    assert change["newly_failing"] == []


@pytest.mark.parametrize(("name", "reason"), [
    ("Hangs", f"timed out after {HANG_TIMEOUT} s"),
    ("Simulator hangs", f"timed out after {HANG_TIMEOUT} s"),
    ("Gone", "unreachable: 127.0.0.1:"),
    ("Crash", "exit status 70"),
    ("BadTarget", "invalid TOML"),
])
def test_failing_candidates_are_aborted_with_the_reason(campaign_runs: CampaignRuns, name: str, reason: str) -> None:
    candidate = campaign_runs.candidate(campaign_runs.first, name)
    assert candidate["status"] == "ABORTED"
    assert reason in candidate["reason"]
    assert f"ABORTED         {name}" in campaign_runs.first_process.stdout


def test_the_hung_run_is_stopped_in_time_and_leaves_no_process(campaign_runs: CampaignRuns) -> None:
    candidate = campaign_runs.candidate(campaign_runs.first, "Hangs")
    assert HANG_TIMEOUT <= candidate["duration"] < HANG_TIMEOUT + 8
    assert campaign_runs.data(campaign_runs.first)["campaign"]["duration"] < 60
    hang_dir = str(campaign_runs.first / "candidates" / "hangs")
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            assert hang_dir not in cmdline.read_bytes().decode(errors="replace"), f"left over: {cmdline}"
        except OSError:
            continue
    # its partial results stay, marked as an unfinished run
    partial = json.loads((campaign_runs.first / candidate["results"]).read_text(encoding="utf-8"))
    assert partial["run"]["status"] == "running" and partial["summary"]["certificate_issued"] is False


def test_certificates_of_a_campaign_are_signed_and_list_waivers(campaign_runs: CampaignRuns) -> None:
    candidate = campaign_runs.candidate(campaign_runs.first, "Broken")
    process = harness("certificate", "verify", campaign_runs.first / candidate["certificate"], "--trust",
                      campaign_runs.issuer / "issuer-cert.pem", "--artefacts", TOY / "documents" / "broken", "--format", "json")
    assert process.returncode == 0, process.stdout
    import json

    payload = json.loads(process.stdout)["certificate"]
    assert payload["candidate"] == {"name": "Broken", "vendor": "Éditeur B", "version": "1.0"}
    assert {r["id"]: r["verdict"] for r in payload["requirements"]}["TOYC-002"] == "WAIVED"
    assert [(w["requirement"], w["status"]) for w in payload["waivers"]] == [("TOYC-002", "applied")]


def test_dashboard_matrix_waivers_and_links(campaign_runs: CampaignRuns) -> None:
    page = (campaign_runs.first / "dashboard.html").read_text(encoding="utf-8")
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")  # self-contained
    assert "<tr data-candidate='Broken' data-status='CERTIFIED'>" in page
    assert "data-profile='toy-certs' data-verdict='WAIVED'" in page
    assert "<tr data-candidate='Fixing' data-status='NOT_CONFORMANT'>" in page
    assert "<tr data-candidate='Hangs' data-status='ABORTED'>" in page and f"timed out after {HANG_TIMEOUT} s" in page
    assert "<tr data-candidate='Broken' data-requirement='TOYC-002' data-status='applied'>" in page
    broken = campaign_runs.candidate(campaign_runs.first, "Broken")
    assert f"<a href='{broken['certificate']}'>certificate</a>" in page and f"<a href='{broken['report']}'>report</a>" in page


def test_history_shows_what_changed(campaign_runs: CampaignRuns) -> None:
    assert campaign_runs.second_process.returncode == 1
    data = campaign_runs.data(campaign_runs.second)
    assert data["campaign"]["previous"] == campaign_runs.first.name
    changes = data["history"]["candidates"]
    assert [x["requirement"] for x in changes["Evolving"]["newly_failing"]] == ["TOYC-002"]
    assert changes["Evolving"]["newly_passing"] == [] and changes["Evolving"]["after"] == "NOT_CONFORMANT"
    assert [x["requirement"] for x in changes["Fixing"]["newly_passing"]] == ["TOYC-002"]
    assert changes["Good"]["kind"] == "same" and changes["Broken"]["kind"] == "same"
    assert data["history"]["removed"] == ["BadTarget", "Crash", "Gone", "Hangs", "Simulator hangs"]
    assert changes["CDA conforming"]["kind"] == "same"
    page = (campaign_runs.second / "dashboard.html").read_text(encoding="utf-8")
    assert "<li class='fail' data-change='newly-failing' data-requirement='TOYC-002'>" in page
    assert "<li class='pass' data-change='newly-passing' data-requirement='TOYC-002'>" in page
    assert f"<a href='../{campaign_runs.first.name}/dashboard.html'>" in page
    assert (campaign_runs.first / "dashboard.html").is_file()  # the earlier run is kept
    index = (campaign_runs.output / "index.html").read_text(encoding="utf-8")
    assert index.index(f"<tr data-run='{campaign_runs.second.name}'>") < index.index(f"<tr data-run='{campaign_runs.first.name}'>")


def test_expired_waiver_in_a_campaign_is_ignored_and_shown(campaign_runs: CampaignRuns) -> None:
    evolving = campaign_runs.candidate(campaign_runs.second, "Evolving")
    assert evolving["status"] == "NOT_CONFORMANT" and evolving["failed_must"] == 1
    assert [(w["requirement"], w["status"]) for w in evolving["waivers"]] == [("TOYC-002", "expired")]
    page = (campaign_runs.second / "dashboard.html").read_text(encoding="utf-8")
    assert "<tr data-candidate='Evolving' data-requirement='TOYC-002' data-status='expired'>" in page
    assert "EXPIRED — ignored" in page
    certificate = (campaign_runs.second / evolving["certificate"]).read_text(encoding="utf-8")
    assert "data-status='expired'" in certificate


# -- bounded parallelism ------------------------------------------------------------------------
def test_at_most_jobs_candidates_run_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    candidates = "".join(_candidate(f"C{i}", vendor="V", version="1", documents=[str(TOY / "documents" / "good")]) for i in range(6))
    campaign = load_campaign(write_campaign(tmp_path, candidates))
    running, peak, lock = 0, 0, threading.Lock()

    def fake(campaign, candidate, folder):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        if candidate.name == "C3":
            raise RuntimeError("boom")
        return {"name": candidate.name, "status": runner.CERTIFIED}

    monkeypatch.setattr(runner, "run_candidate", fake)
    outcomes = runner.run_campaign(campaign, tmp_path / "run", jobs=2)
    assert peak == 2
    assert [o["name"] for o in outcomes] == [f"C{i}" for i in range(6)]
    assert outcomes[3]["status"] == "ABORTED" and "internal error: RuntimeError: boom" in outcomes[3]["reason"]


# -- errors in the campaign file stop it before anything runs ------------------------------------
@pytest.mark.parametrize(("candidates", "settings", "message"), [
    ("", {}, "at least one candidate"),
    (_candidate("A", vendor="V", version="1", documents=["nowhere"]), {}, "does not exist"),
    (_candidate("A", documents=[str(TOY / "documents" / "good")]), {}, "vendor: required field missing"),
    (_candidate("A", vendor="V", version="1"), {}, "target or documents is required"),
    (_candidate("A", vendor="V", version="1", documents=[str(TOY / "documents" / "good")]) * 2, {}, "duplicate name"),
    (_candidate("A", vendor="V", version="1", documents=[str(TOY / "documents" / "good")], colour="red"), {}, "unknown field 'colour'"),
    (_candidate("A", vendor="V", version="1", documents=[str(TOY / "documents" / "good")], profiles=["nope"]), {}, "unknown profile: nope"),
    (_candidate("A", vendor="V", version="1", documents=[str(TOY / "documents" / "good")]), {"timeout": 0}, "timeout: expected a number"),
])
def test_campaign_file_errors(tmp_path: Path, candidates: str, settings: dict, message: str) -> None:
    process = harness("campaign", "run", write_campaign(tmp_path, candidates, **settings))
    assert process.returncode == 2
    assert message in process.stderr and "Traceback" not in process.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_waivers_file_with_unknown_requirement_stops_the_campaign(tmp_path: Path) -> None:
    (tmp_path / "w.toml").write_text('[[waivers]]\nrequirement = "TOYC-404"\ncandidate = "A"\njustification = "j"\napprover = "a"\n'
                                     'expires = 2099-01-01\n', encoding="utf-8")
    process = harness("campaign", "run",
                      write_campaign(tmp_path, _candidate("A", vendor="V", version="1", documents=[str(TOY / "documents" / "good")]),
                                     waivers="w.toml"))
    assert process.returncode == 2 and "unknown requirement: TOYC-404" in process.stderr


# -- interrupting the campaign itself --------------------------------------------------------------
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
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stopping_the_campaign_stops_every_run(tmp_path: Path, silent_server: int, sig: int) -> None:
    target = tmp_path / "hang.toml"
    target.write_text(f'[candidate]\nname = "Hangs"\nvendor = "V"\nversion = "1"\n[timeouts]\nread = 600\n'
                      f'[[endpoints]]\nname = "m"\nprotocol = "mllp"\nhost = "127.0.0.1"\nport = {silent_server}\n', encoding="utf-8")
    campaign = write_campaign(tmp_path, _candidate("Hangs", target=str(target), timeout=120))
    env = {**os.environ, "PYTHONPATH": str(REPO), "ENRS_LANG": "en"}
    process = subprocess.Popen([sys.executable, "-m", "harness", "campaign", "run", str(campaign)], env=env, cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    runs = str(tmp_path / "runs")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _processes_mentioning(runs):  # the candidate's run, not the campaign
        time.sleep(0.2)
    assert _processes_mentioning(runs), "the candidate's run never started"
    time.sleep(1.5)  # let the run reach the silent endpoint
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 1 and "interrupted" in stderr
    assert _processes_mentioning(runs) == []
