"""The campaign dashboard: one self-contained, printable HTML page (no script, no external file)."""

from __future__ import annotations

from html import escape
from typing import Any

from harness.i18n import label

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
}

_STYLE = """
@page { size: A4 landscape; margin: 12mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 9.5pt; color: #111; margin: 0 auto; max-width: 280mm; }
header { border-bottom: 3px solid #000091; margin-bottom: 5mm; }
h1 { font-size: 16pt; margin: 4mm 0 2mm; } h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #ccc; }
table { width: 100%; border-collapse: collapse; } tr { page-break-inside: avoid; }
th, td { border: 1px solid #bbb; padding: 1mm 2mm; text-align: left; vertical-align: top; }
th { background: #eee; }
.v-PASSED, .v-CERTIFIED { color: #18753c; font-weight: bold; }
.v-FAILED, .v-NOT_CONFORMANT, .v-ABORTED { color: #c9191e; font-weight: bold; }
.v-WAIVED { color: #695240; font-weight: bold; } .v-NOT_TESTED { color: #b34000; } .v-NOT_APPLICABLE { color: #666; }
.fail { color: #c9191e; } .pass { color: #18753c; } small { color: #555; }
dl { display: grid; grid-template-columns: 45mm 1fr; gap: 1mm 4mm; margin: 0; } dt { font-weight: bold; } dd { margin: 0; }
"""


def render_dashboard(data: dict[str, Any], lang: str) -> str:
    def t(key: str) -> str:
        fr, en = _TEXT[key]
        return fr if lang == "fr" else en

    def esc(value: Any) -> str:
        return escape(str(value)) if value is not None else "—"

    def link(path: str | None, text: str) -> str:
        return f"<a href='{escape(path)}'>{escape(text)}</a>" if path else ""

    campaign = data["campaign"]
    profiles = data["profiles"]
    changes = data["history"]["candidates"]
    head_profiles = "".join(f"<th>{esc(p['id'])}<br><small>{esc(', '.join(p['versions']))}</small></th>" for p in profiles)
    rows = []
    for c in data["candidates"]:
        cells = []
        by_id = {p["id"]: p for p in c.get("profiles", [])}
        for profile in profiles:
            cell = by_id.get(profile["id"])
            if c["status"] == "ABORTED":
                cells.append(f"<td class='v-ABORTED' data-profile='{esc(profile['id'])}' data-verdict='ABORTED'>"
                             f"{esc(label('ABORTED', lang))}</td>")
            elif cell is None:
                cells.append(f"<td data-profile='{esc(profile['id'])}'>—</td>")
            else:
                cell_counts = " · ".join(f"{name} {cell[key]}" for name, key in (("MUST ✗", "failed_must"),
                                                                                 ("SHOULD ✗", "failed_should"), (t("waived"), "waived"))
                                    if cell[key])  # only what is not zero
                cells.append(f"<td class='v-{esc(cell['verdict'])}' data-profile='{esc(profile['id'])}' "
                             f"data-verdict='{esc(cell['verdict'])}'>"
                             f"{esc(label(cell['verdict'], lang))}"
                             f"{'<br><small>' + esc(cell_counts) + '</small>' if cell_counts else ''}</td>")
        change = changes.get(c["name"])
        aborted = c["status"] == "ABORTED"  # a stopped run's partial counts would mislead
        counts = "".join(f"<td class='n-{key}'>{'—' if aborted else esc(c.get(field, '—'))}</td>"
                         for key, field in (("must", "failed_must"), ("should", "failed_should"), ("waived", "waived")))
        reason = f"<br><small>{esc(c['reason'][:400])}</small>" if c.get("reason") else ""
        links = " · ".join(x for x in (link(c.get("report"), t("report")), link(c.get("certificate"), t("certificate")),
                                       link(c.get("results"), t("results")), link(c.get("log"), t("log"))) if x)
        rows.append(
            f"<tr data-candidate='{esc(c['name'])}' data-status='{esc(c['status'])}'>"
            f"<td><strong>{esc(c['name'])}</strong><br><small>{esc(c.get('vendor'))} {esc(c.get('version'))}</small></td>"
            f"<td class='v-{esc(c['status'])}'>{esc(t(c['status']))}{reason}</td>"
            f"{''.join(cells)}{counts}<td class='changes'>{_change_summary(change, t)}</td><td>{links}</td></tr>"
        )
    details = []
    for c in data["candidates"]:
        change = changes.get(c["name"]) or {}
        items = [f"<li class='fail' data-change='newly-failing' data-requirement='{esc(x['requirement'])}'>{t('newly_failing')} : <code>"
                 f"{esc(x['requirement'])}</code> "
                 f"({esc(x['level'])}) {esc(x['before'])} → {esc(x['after'])}</li>" for x in change.get("newly_failing", [])]
        items += [f"<li class='pass' data-change='newly-passing' data-requirement='{esc(x['requirement'])}'>{t('newly_passing')} : <code>"
                  f"{esc(x['requirement'])}</code> "
                  f"({esc(x['level'])}) {esc(x['before'])} → {esc(x['after'])}</li>" for x in change.get("newly_passing", [])]
        if items:
            details.append(f"<h3>{esc(c['name'])}</h3><ul>{''.join(items)}</ul>")
    waivers = [f"<tr data-candidate='{esc(c['name'])}' data-requirement='{esc(w['requirement'])}' data-status='{esc(w['status'])}'>"
               f"<td>{esc(c['name'])}</td><td><code>{esc(w['requirement'])}</code></td><td>{esc(label('waiver_' + w['status'], lang))}</td>"
               f"<td>{esc(w['justification'])}</td><td>{esc(w['approver'])}</td><td>{esc(w['expires'])}</td></tr>"
               for c in data["candidates"] for w in c.get("waivers", [])]
    waiver_heads = "".join(f"<th>{label(k, lang)}</th>" for k in ("requirement", "status", "justification", "approver", "expires"))
    waivers_table = (f"<h2>{t('waivers')}</h2><table id='waivers'><thead><tr><th>{t('candidate')}</th>{waiver_heads}</tr></thead>"
                     f"<tbody>{''.join(waivers)}</tbody></table>" if waivers else "")
    removed = data["history"].get("removed", [])
    previous = campaign.get("previous")
    summary = data["summary"]
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{t('title')} — {esc(campaign['title'])}</title>
<style>{_STYLE}</style>
</head>
<body data-campaign="{esc(campaign['id'])}" data-run="{esc(campaign['run'])}">
<header>
<h1>{t('title')} — {esc(campaign['title'])}</h1>
<dl>
<dt>{t('run')}</dt><dd>{esc(campaign['run'])} ({esc(campaign['started'])} → {esc(campaign['finished'])})</dd>
<dt>{t('duration')}</dt><dd>{esc(campaign['duration'])} s</dd>
<dt>{t('previous')}</dt><dd id="previous">{link('../' + previous + '/dashboard.html', previous) if previous else t('none')}</dd>
<dt>{t('summary')}</dt><dd id="summary">{t('candidates')} : {summary['candidates']} · {t('CERTIFIED')} : {summary['certified']} · \
{t('NOT_CONFORMANT')} : {summary['not_conformant']} · {t('ABORTED')} : {summary['aborted']}</dd>
</dl>
</header>
<table id="matrix">
<thead><tr><th>{t('candidate')}</th><th>{t('overall')}</th>{head_profiles}<th>{t('must')}</th><th>{t('should')}</th><th>{t('waived')}</th><th>{t('changes')}</th><th>{t('links')}</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
{f"<h2>{t('details')}</h2><div id='changes'>{''.join(details)}</div>" if details else ""}
{f"<h2>{t('removed')}</h2><ul id='removed'>{''.join(f'<li>{esc(n)}</li>' for n in removed)}</ul>" if removed else ""}
{waivers_table}
<footer><small>enrs-harness {esc(campaign['harness_version'])} — {esc(campaign['file'])}</small></footer>
</body>
</html>
"""


def _change_summary(change: dict[str, Any] | None, t: Any) -> str:
    if not change:
        return "—"
    if change["kind"] == "new":
        return escape(t("new"))
    parts = []
    if change.get("before") != change.get("after"):
        parts.append(f"{escape(t('status_change'))} : "
                     f"{escape(t(change['before']) if change.get('before') in _TEXT else str(change.get('before')))} → "
                     f"{escape(t(change['after']))}")
    if change["newly_failing"]:
        parts.append(f"<span class='fail'>{escape(t('newly_failing'))} : {len(change['newly_failing'])}</span>")
    if change["newly_passing"]:
        parts.append(f"<span class='pass'>{escape(t('newly_passing'))} : {len(change['newly_passing'])}</span>")
    return "<br>".join(parts) or escape(t("same"))


def render_index(campaign_title: str, runs: list[dict[str, Any]], lang: str) -> str:
    """The campaign's history page: every kept run, newest first, with its summary and dashboard."""
    fr = lang == "fr"
    rows = "".join(
        f"<tr data-run='{escape(r['campaign']['run'])}'><td><a href='{escape(r['campaign']['run'])}/dashboard.html'>"
        f"{escape(r['campaign']['run'])}</a></td>"
        f"<td>{escape(str(r['campaign']['started']))}</td><td>{r['summary']['candidates']}</td><td class='v-CERTIFIED'>"
        f"{r['summary']['certified']}</td>"
        f"<td class='v-NOT_CONFORMANT'>{r['summary']['not_conformant']}</td><td class='v-ABORTED'>{r['summary']['aborted']}</td></tr>"
        for r in runs
    )
    heads = ("Exécution", "Début", "Candidats", "Certifiés", "Non conformes", "Interrompus") if fr else (
        "Run", "Started", "Candidates", "Certified", "Not conformant", "Aborted")
    title = f"{'Historique de la campagne' if fr else 'Campaign history'} — {escape(campaign_title)}"
    return (f"<!DOCTYPE html>\n<html lang='{lang}'>\n<head>\n<meta charset='utf-8'>\n<title>{title}</title>\n<style>{_STYLE}</style>\n"
            "</head>\n"
            f"<body>\n<header><h1>{title}</h1></header>\n<table id='runs'><thead><tr>{''.join(f'<th>{h}</th>' for h in heads)}</tr></thead>"
            f"<tbody>{rows}</tbody></table>\n</body>\n</html>\n")
