"""Requirement columns and evidence blocks that the plugin adds to the pytest-html report."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from harness.recorder import TestRecord
from harness.target import Redactor


def header_cells(lang: str) -> list[str]:
    labels = ("Exigences", "Niveau", "Source", "Verdict") if lang == "fr" else ("Requirements", "Level", "Source", "Verdict")
    return [f"<th>{label}</th>" for label in labels]


def row_cells(report: Any, lang: str) -> list[str]:
    requirements = getattr(report, "enrs_requirements", [])
    ids = "<br>".join(escape(r.id) for r in requirements)
    levels = "<br>".join(escape(r.level) for r in requirements)
    sources = "<br>".join(escape(f"{r.source.document} {r.source.version}, {r.section}") for r in requirements)
    verdict = escape(getattr(report, "enrs_verdict", ""))
    one_line = "<td style='white-space:nowrap'>"  # ids and levels stay aligned line by line
    return [f"{one_line}{ids}</td>", f"{one_line}{levels}</td>", f"<td>{sources}</td>", f"<td>{verdict}</td>"]


def evidence_html(record: TestRecord, redact: Redactor) -> str:
    parts = []
    if record.reason:
        parts.append(f"<p><strong>{escape(str(record.verdict))}</strong> — {escape(redact(record.reason))}</p>")
    for artefact in record.artefacts:
        parts.append(f"<p>{escape(artefact.name)} — SHA-256 <code>{artefact.sha256}</code></p>")
    for item in record.evidence:
        content = item.content if isinstance(item.content, str) else json.dumps(item.content, ensure_ascii=False, indent=2)
        parts.append(f"<details><summary>{escape(item.title)}</summary><pre>{escape(redact(content))}</pre></details>")
    return "<div class='enrs-evidence'>" + "".join(parts) + "</div>"


def evidence_extra(record: TestRecord, redact: Redactor) -> dict[str, Any]:
    from pytest_html import extras

    extra: dict[str, Any] = extras.html(evidence_html(record, redact))
    return extra


def waivers_html(waivers: list[dict[str, Any]], lang: str) -> str:
    """The waivers of the candidate and what became of them (applied, expired, not needed)."""
    from harness.i18n import label

    if not waivers:
        return ""
    rows = "".join(
        f"<tr data-requirement='{escape(w['requirement'])}' data-status='{escape(w['status'])}'><td>{escape(w['requirement'])}</td>"
        f"<td>{escape(label('waiver_' + w['status'], lang))}</td><td>{escape(w['justification'])}</td>"
        f"<td>{escape(w['approver'])}</td><td>{escape(w['expires'])}</td></tr>"
        for w in waivers
    )
    head = "".join(f"<th>{label(k, lang)}</th>" for k in ("requirement", "status", "justification", "approver", "expires"))
    return f"<h2>{label('waivers', lang)}</h2><table id='enrs-waivers'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
