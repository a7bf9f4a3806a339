"""Campaign verdicts that never mislead: the output and history beside the campaign file, a NOT
CONFORMANT candidate without failed MUST says why, waivers matching nothing are listed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.campaign.config import load_campaign
from harness.campaign.dashboard import render_dashboard


def test_the_default_output_and_history_are_beside_the_campaign_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "campagne"
    folder.mkdir()
    (folder / "docs").mkdir()
    path = folder / "campaign.toml"
    path.write_text('[campaign]\nid = "t4"\n\n[[candidates]]\nname = "A"\nvendor = "V"\nversion = "1"\ndocuments = ["docs"]\n',
                    encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load_campaign(Path("../campagne/campaign.toml")).output == folder / "reports" / "campaigns" / "t4"
    path.write_text(path.read_text(encoding="utf-8").replace('id = "t4"', 'id = "t4"\noutput = "runs"'), encoding="utf-8")
    assert load_campaign(Path("../campagne/campaign.toml")).output == folder / "runs"
    assert load_campaign(path, output=Path("mine")).output == Path("mine")  # --output stays relative to where it is typed


def _data(candidate: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "campaign": {"id": "t4", "title": "T4", "run": "r1", "started": "s", "finished": "f", "duration": 1, "previous": None,
                     "harness_version": "0", "file": "campaign.toml"},
        "profiles": [{"id": "ci-sis-cda-header", "versions": ["1.0.0"]}],
        "history": {"candidates": {}, "removed": []},
        "candidates": [candidate],
        "summary": {"candidates": 1, "certified": 0, "not_conformant": 1, "aborted": 0},
        **extra,
    }


NOT_CONFORMANT = {
    "name": "DPI", "vendor": "V", "version": "1", "status": "NOT_CONFORMANT", "reason": None, "failed_must": 0, "failed_should": 0,
    "waived": 0,
    "profiles": [{"id": "ci-sis-cda-header", "version": "1.0.0", "verdict": "PASSED", "failed_must": 0, "failed_should": 0, "waived": 0}],
    "blocking_count": 2,
    "blocking": [{"kind": "artefact", "id": "truncated.xml", "verdict": "ABORTED",
                  "reason": {"fr": "XML mal formé", "en": "malformed XML"}}],
}


@pytest.mark.parametrize(("lang", "expected"), [("en", "2 blocking item(s) — truncated.xml: malformed XML"),
                                                 ("fr", "2 élément(s) bloquant(s) — truncated.xml : XML mal formé")])
def test_not_conformant_with_no_failed_must_says_why(lang: str, expected: str) -> None:
    page = render_dashboard(_data(NOT_CONFORMANT), lang)
    assert f"<small class='blocking' data-blocking='2'>{expected}</small>" in page


def test_waivers_matching_nothing_are_listed_on_the_dashboard() -> None:
    problem = {"requirement": "SM-ID", "candidate": "DPI Typo", "justification": "j", "approver": "ARS", "expires": "2099-12-31",
               "version": None,
               "reason": {"fr": "aucun candidat « DPI Typo » dans la campagne", "en": "no candidate 'DPI Typo' in the campaign"}}
    page = render_dashboard(_data(NOT_CONFORMANT, waiver_problems=[problem]), "en")
    assert "<table id='waiver-problems'>" in page and "no candidate &#39;DPI Typo&#39; in the campaign" in page
    assert "waiver-problems" not in render_dashboard(_data(NOT_CONFORMANT), "en")


def test_a_candidates_blocking_items_reach_campaign_json() -> None:
    from harness.campaign.runner import summarise

    item = {"kind": "artefact", "id": "truncated.xml", "path": "/d/truncated.xml", "test": "t", "verdict": "ABORTED",
            "reason": {"fr": "XML mal formé", "en": "malformed XML"}}
    results = {"run": {"complete": True, "id": "r"}, "profiles": [], "requirements": [], "waivers": [], "blocking": [item],
               "ignored": [{"path": "/d/logo.png", "reason": {"fr": "f", "en": "e"}}],
               "summary": {"certificate_issued": False, "failed_must": 0, "failed_should": 0, "blocking": [], "blocking_count": 1,
                           "verdicts": {"WAIVED": 0}}}
    summary = summarise(results)
    assert summary["blocking_count"] == 1 and summary["ignored_count"] == 1
    assert summary["blocking"] == [{"kind": "artefact", "id": "truncated.xml", "verdict": "ABORTED",
                                    "reason": {"fr": "XML mal formé", "en": "malformed XML"}}]
