"""What the harness adds to pytest-html's report.html: the overall verdict and blocking requirements at the
top, one verdict column that says the requirement verdict (WAIVED, ABORTED as such), requirement columns,
and evidence as tables (findings) and collapsible blocks (exchanges). Rendered from harness/templates/.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from markupsafe import Markup

from harness.core.i18n import label
from harness.pages import render
from harness.run.recorder import TestRecord
from harness.run.waivers import Waiver

_HEADINGS = {"Test": ("Test", "Test"), "Duration": ("Durée", "Duration")}


def table_header(cells: list[str], lang: str) -> list[str]:
    """pytest-html's header with the verdict and requirement columns after its Result column, no empty Links column.

    pytest-html's Result cell stays (its scripts sort and filter on it) but is hidden: the one verdict shown is ours.
    """
    def named(cell: str) -> str:
        return re.sub(r">(Test|Duration)<", lambda m: f">{_HEADINGS[m.group(1)][lang != 'fr']}<", cell)

    kept = [named(c) for c in cells if "Links" not in c]
    return kept[:1] + [f"<th>{label(k, lang)}</th>" for k in ("verdict", "requirements", "level")] + kept[1:]


def table_row(report: Any, cells: list[str], lang: str, waived: set[str]) -> list[str]:
    """The row of one test: its verdict in words (WAIVED when a waiver covers what it broke), its requirements."""
    requirements = getattr(report, "enrs_requirements", [])
    verdict = getattr(report, "enrs_verdict", "") or ""
    if verdict == "FAILED" and requirements and all(r.id in waived for r in requirements):
        verdict = "WAIVED"  # every requirement this test broke is waived for the candidate
    kept = [c for c in cells if "col-links" not in c]
    shown = Markup('<td class="enrs-verdict v-{}">{}</td>').format(verdict, label(verdict, lang) if verdict else "—")
    ids = Markup("<br>").join(Markup('<code title="{}">{}</code>').format(f"{r.source.document} {r.source.version}, {r.section}", r.id)
                              for r in requirements)
    levels = Markup("<br>").join(Markup('<span class="token">{}</span>').format(r.level) for r in requirements)
    return kept[:1] + [shown, f"<td class='enrs-ids'>{ids}</td>", f"<td>{levels}</td>"] + kept[1:]


def waived_requirements(waivers: list[Waiver], name: str, version: str, on: dt.date) -> set[str]:
    """The requirement ids whose failures a valid waiver of this candidate turns into WAIVED."""
    return {w.requirement for w in waivers if w.covers(name, version) and w.expires >= on}


def summary_html(rows: list[dict[str, Any]], waivers: list[dict[str, Any]], lang: str) -> str:
    """The top of the report: overall verdict, counts, blocking requirements with their reasons, waivers."""
    from harness.certificates.page import ATTENTION, _reasons
    from harness.core.verdicts import verdict_counts

    counts = verdict_counts(row["verdict"] for row in rows)
    blocking = [r for r in rows if r["level"] == "MUST" and r["verdict"] in ("FAILED", "ABORTED", "NOT_TESTED")]
    review = [r for r in rows if r["level"] != "MUST" and r["verdict"] in ATTENTION or r["verdict"] == "WAIVED"]
    conformant = not blocking and counts.get("PASSED", 0) + counts.get("WAIVED", 0) > 0
    return render("report_summary.html.j2", lang=lang, counts=counts, conformant=conformant, blocking=blocking, review=review,
                  reasons={r["id"]: _reasons(r, lang) for r in blocking + review}, waivers=waivers)


def evidence_html(record: TestRecord, lang: str = "fr") -> str:
    """A test's evidence as readable tables; the target's secrets are `Secret` objects, shown as *** wherever they appear."""
    evidence = [{"title": item.title, "content": item.content} for item in record.evidence]
    return render("evidence.html.j2", record=record, evidence=evidence, reason=record.reason or "", lang=lang,
                  verdict=str(record.verdict) if record.verdict else "")


def evidence_extra(record: TestRecord, lang: str = "fr") -> dict[str, Any]:
    from pytest_html import extras

    extra: dict[str, Any] = extras.html(evidence_html(record, lang))
    return extra


_PYTEST_HTML_FR = [  # pytest-html's own words (its page template), in French for a French run
    (r"<h2>Summary</h2>", "<h2>Synthèse</h2>"),
    (r"<h2>Environment</h2>", "<h2>Environnement</h2>"),
    (r"<p>Report generated on (\S+) at (\S+) by ", r"<p>Rapport généré le \1 à \2 par "),
    (r'<p class="run-count">(\d+) tests? took ([^<]*)\.</p>', r'<p class="run-count">\1 test(s) en \2.</p>'),
    (r"\(Un\)check the boxes to filter the results\.", "(Dé)cochez les cases pour filtrer les tests."),
    (r"No results found\. Check the filters\.", "Aucun test. Vérifiez les filtres."),
    (r">Show all details<", ">Tout déplier<"),
    (r">Hide all details<", ">Tout replier<"),
]
_OUTCOMES_FR = {"Failed": "en échec", "Passed": "réussis", "Skipped": "ignorés", "Expected failures": "échecs attendus",
                "Unexpected passes": "réussites inattendues", "Errors": "en erreur", "Reruns": "relancés", "Retried": "réessayés"}


def localized_report(page: str, lang: str) -> str:
    """report.html with pytest-html's headings and filters in the run's language."""
    if lang != "fr":
        return page
    for pattern, replacement in _PYTEST_HTML_FR_COMPILED:
        page = pattern.sub(replacement, page, count=1)
    return re.sub(r'(<span class="\w+">\d+ )(Failed|Passed|Skipped|Expected failures|Unexpected passes|Errors|Reruns|Retried)(,?</span>)',
                  lambda m: f"{m.group(1)}{_OUTCOMES_FR[m.group(2)]}{m.group(3)}", page)


_PYTEST_HTML_FR_COMPILED = [(re.compile(p), r) for p, r in _PYTEST_HTML_FR]
