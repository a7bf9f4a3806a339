"""The campaign dashboard: one self-contained, printable HTML page (no script, no external file)."""

from __future__ import annotations

from html import escape
from typing import Any

from harness.core.i18n import label

_TEXT = {
    "title": ("Tableau de bord de campagne", "Campaign dashboard"),
    "run": ("Exécution", "Run"),
    "previous": ("Exécution précédente", "Previous run"),
    "none": ("aucune (première exécution)", "none (first run)"),
    "duration": ("Durée", "Duration"),
    "candidates": ("Candidats", "Candidates"),
    "candidate": ("Candidat", "Candidate"),
    "overall": ("Résultat", "Result"),
    "must": ("MUST en échec", "Failed MUST"),
    "should": ("SHOULD en échec", "Failed SHOULD"),
    "waived": ("Dérogations", "Waived"),
    "changes": ("Depuis l'exécution précédente", "Since the previous run"),
    "links": ("Documents", "Documents"),
    "report": ("rapport", "report"),
    "certificate": ("certificat", "certificate"),
    "results": ("résultats", "results"),
    "log": ("journal", "log"),
    "CERTIFIED": ("CERTIFIÉ", "CERTIFIED"),
    "NOT_CONFORMANT": ("NON CONFORME", "NOT CONFORMANT"),
    "ABORTED": ("INTERROMPU", "ABORTED"),
    "new": ("nouveau candidat", "new candidate"),
    "same": ("inchangé", "unchanged"),
    "newly_failing": ("nouvelles défaillances", "newly failing"),
    "newly_passing": ("nouvellement conformes", "newly passing"),
    "status_change": ("statut", "status"),
    "removed": ("Candidats retirés depuis l'exécution précédente", "Candidates removed since the previous run"),
    "aborted": ("Candidats interrompus", "Aborted candidates"),
    "waivers": ("Dérogations", "Waivers"),
    "details": ("Changements en détail", "Changes in detail"),
    "summary": ("Synthèse", "Summary"),
    "blocking": ("élément(s) bloquant(s)", "blocking item(s)"),
    "waiver_problems": ("Dérogations sans objet dans cette campagne", "Waivers that match nothing in this campaign"),
    "profiles": ("Profils", "Profiles"),
    "profile": ("Profil", "Profile"),
    "failures": ("Échecs", "Failures"),
    "drilldown": ("Détail par candidat", "Each candidate in detail"),
}

MARKS = {"PASSED": "✓", "FAILED": "✗", "WAIVED": "≈", "NOT_TESTED": "?", "NOT_APPLICABLE": "–",
         "ABORTED": "!"}  # readable in black and white


def render_dashboard(data: dict[str, Any], lang: str) -> str:
    from markupsafe import Markup

    from harness.pages import render

    def t(key: str) -> str:
        fr, en = _TEXT[key]
        return fr if lang == "fr" else en

    changes = data["history"]["candidates"]
    candidates = []
    for c in data["candidates"]:
        cells = [] if c["status"] == "ABORTED" else [{"id": p["id"], "verdict": p["verdict"]} for p in c.get("profiles", [])]
        candidates.append({**c, "slug": c.get("slug") or c["name"], "cells": cells})
    return render(
        "dashboard.html.j2", lang=lang, t=t, label=label, colon=" : " if lang == "fr" else ": ", campaign=data["campaign"],
        summary=data["summary"], candidates=candidates, changes=changes, marks=MARKS,
        change_summary=lambda c: Markup(_change_summary(changes.get(c["name"]), t, lang)),
        removed=data["history"].get("removed", []),
        waivers=[(c, w) for c in data["candidates"] for w in c.get("waivers", [])],
        waiver_problems=data.get("waiver_problems", []),
    )


def _change_summary(change: dict[str, Any] | None, t: Any, lang: str) -> str:
    colon = " : " if lang == "fr" else ": "
    if not change:
        return "—"
    if change["kind"] == "new":
        return escape(t("new"))
    parts = []
    if change.get("before") != change.get("after"):
        parts.append(f"{escape(t('status_change'))}{colon}"
                     f"{escape(t(change['before']) if change.get('before') in _TEXT else str(change.get('before')))}"
                     f" → {escape(t(change['after']))}")
    if change["newly_failing"]:
        parts.append(f"<span class='fail'>{escape(t('newly_failing'))}{colon}{len(change['newly_failing'])}</span>")
    if change["newly_passing"]:
        parts.append(f"<span class='pass'>{escape(t('newly_passing'))}{colon}{len(change['newly_passing'])}</span>")
    return "<br>".join(parts) or escape(t("same"))


def render_index(campaign_title: str, runs: list[dict[str, Any]], lang: str) -> str:
    """The campaign's history page: every kept run, newest first, with its summary and dashboard."""
    from harness.pages import render

    fr = lang == "fr"
    heads = ("Exécution", "Début", "Candidats", "Certifiés", "Non conformes", "Interrompus") if fr else (
        "Run", "Started", "Candidates", "Certified", "Not conformant", "Aborted")
    title = f"{'Historique de la campagne' if fr else 'Campaign history'} — {campaign_title}"
    return render("campaign_index.html.j2", lang=lang, title=title, heads=heads, runs=runs)
