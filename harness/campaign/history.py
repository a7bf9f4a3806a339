"""Campaign history: every campaign run is kept in its own folder; each is compared with the one before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FAILING = ("FAILED", "ABORTED")
PASSING = ("PASSED", "WAIVED", "NOT_APPLICABLE")


def previous_run(output: Path, current: Path) -> tuple[Path, dict[str, Any]] | None:
    """The latest earlier campaign run under `output` that wrote its campaign.json."""
    earlier = sorted((p for p in Path(output).iterdir() if p.is_dir() and p.name < current.name), reverse=True)
    for folder in earlier:
        try:
            data = json.loads((folder / "campaign.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("candidates"), list):
            return folder, data
    return None


def all_runs(output: Path) -> list[dict[str, Any]]:
    """The campaign.json of every kept run under `output`, newest first."""
    runs = []
    for folder in sorted((p for p in Path(output).iterdir() if p.is_dir()), reverse=True):
        try:
            data = json.loads((folder / "campaign.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "campaign" in data and "summary" in data:
            runs.append(data)
    return runs


def diff_candidate(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """What changed for one candidate since the previous campaign run."""
    if before is None:
        return {"kind": "new", "newly_failing": [], "newly_passing": []}
    if after["status"] == "ABORTED" or before["status"] == "ABORTED":
        return {"kind": "status", "before": before["status"], "after": after["status"], "newly_failing": [], "newly_passing": []}
    old, new = before.get("requirements", {}), after.get("requirements", {})
    failing, passing = [], []
    for rid, now in sorted(new.items()):
        was = old.get(rid, {}).get("verdict")
        if now["verdict"] in FAILING and was not in FAILING:
            failing.append({"requirement": rid, "level": now["level"], "before": was or "—", "after": now["verdict"]})
        elif now["verdict"] in PASSING and was in FAILING:
            passing.append({"requirement": rid, "level": now["level"], "before": was, "after": now["verdict"]})
    changed = before.get("status") != after["status"] or before.get("version") != after.get("version")
    kind = "changed" if failing or passing or changed else "same"
    return {"kind": kind, "before": before.get("status"), "after": after["status"], "version_before": before.get("version"),
            "newly_failing": failing, "newly_passing": passing}


def diff_campaign(previous: dict[str, Any] | None, outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """Per candidate (by name): the changes; and the candidates of the previous run that are gone."""
    before = {c["name"]: c for c in previous["candidates"]} if previous else {}
    changes = {o["name"]: diff_candidate(before.get(o["name"]), o) for o in outcomes} if previous else {}
    gone = sorted(set(before) - {o["name"] for o in outcomes})
    return {"candidates": changes, "removed": gone}
