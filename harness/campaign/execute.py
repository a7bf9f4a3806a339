"""One campaign run: a new folder under the campaign's output, the candidates, campaign.json and the dashboard."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import __version__
from harness.campaign.config import Campaign
from harness.campaign.dashboard import render_dashboard, render_index
from harness.campaign.history import all_runs, diff_campaign, previous_run
from harness.campaign.runner import ABORTED, CERTIFIED, NOT_CONFORMANT, run_campaign
from harness.core.fileio import atomic_write_text
from harness.run.folder import new_run_dir, utc_now
from harness.run.waivers import load_waivers, unmatched

CAMPAIGN_SCHEMA = "enrs-harness/campaign/1"


def _links(outcome: dict[str, Any], folder: Path) -> None:
    run_dir = outcome.get("run_dir")
    for key, name in (("report", "report.html"), ("certificate", "certificate.html"), ("results", "results.json")):
        outcome[key] = f"{run_dir}/{name}" if run_dir and (folder / run_dir / name).is_file() else None


def execute(campaign: Campaign, jobs: int | None = None, lang: str | None = None,
            on_done: Callable[[dict[str, Any]], None] | None = None, cluster: str | None = None) -> tuple[Path, dict[str, Any]]:
    """Run the campaign; returns its run folder and what campaign.json holds."""
    lang = lang or campaign.lang
    campaign.output.mkdir(parents=True, exist_ok=True)
    folder = new_run_dir(campaign.output)
    started, clock = utc_now(), time.monotonic()
    if cluster:  # each candidate's run a task on a Dask cluster (docs/cluster.md)
        from harness.campaign.cluster import run_campaign_on_cluster

        outcomes = run_campaign_on_cluster(cluster, campaign, folder, on_done)
    else:
        outcomes = run_campaign(campaign, folder, jobs or campaign.jobs, on_done)
    for outcome in outcomes:
        _links(outcome, folder)
    previous = previous_run(campaign.output, folder)
    history = diff_campaign(previous[1] if previous else None, outcomes)
    versions: dict[str, list[str]] = {}
    for outcome in outcomes:
        for profile in outcome.get("profiles", []):
            versions.setdefault(profile["id"], [])
            if profile["version"] not in versions[profile["id"]]:
                versions[profile["id"]].append(profile["version"])
    data = {
        "schema": CAMPAIGN_SCHEMA,
        "campaign": {
            "id": campaign.id, "title": campaign.title, "file": str(campaign.file), "run": folder.name,
            "started": started, "finished": utc_now(), "duration": round(time.monotonic() - clock, 2),
            "jobs": jobs or campaign.jobs, "harness_version": __version__,
            "previous": previous[0].name if previous else None,
        },
        "profiles": [{"id": pid, "versions": v} for pid, v in versions.items()],
        "candidates": outcomes,
        "history": history,
        # waivers naming a candidate not in the campaign, or a requirement its run does not have: reported, never silent
        "waiver_problems": unmatched(load_waivers(campaign.waivers), {o["name"]: set(o.get("requirements", {})) for o in outcomes})
            if campaign.waivers else [],
        "summary": {
            "candidates": len(outcomes),
            "certified": sum(o["status"] == CERTIFIED for o in outcomes),
            "not_conformant": sum(o["status"] == NOT_CONFORMANT for o in outcomes),
            "aborted": sum(o["status"] == ABORTED for o in outcomes),
        },
    }
    atomic_write_text(folder / "campaign.json", json.dumps(data, ensure_ascii=False, indent=2))
    atomic_write_text(folder / "dashboard.html", render_dashboard(data, lang))
    atomic_write_text(campaign.output / "index.html", render_index(campaign.title, all_runs(campaign.output), lang))
    return folder, data
