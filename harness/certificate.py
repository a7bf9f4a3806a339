"""The HTML conformance certificate (or non-conformity report) of a run.

The page is built from `certificate_payload(results)`: the canonical facts the certificate states
(id, candidate, profiles and versions, harness version, dates, every requirement verdict, the
SHA-256 of every tested artefact). A signed certificate signs exactly that payload.
"""

from __future__ import annotations

from html import escape
from typing import Any

from harness.i18n import label

CERTIFICATE_SCHEMA = "enrs-harness/certificate/1"
WAIVER_FIELDS = ("requirement", "justification", "approver", "expires", "status")

_STYLE = """
@page { size: A4; margin: 15mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; color: #111; margin: 0 auto; max-width: 190mm; }
header { border-bottom: 3px solid #000091; margin-bottom: 6mm; }
header.refused { border-color: #c9191e; }
h1 { font-size: 18pt; margin: 4mm 0 2mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #ccc; }
.statement { font-size: 11pt; }
.overall { font-size: 14pt; font-weight: bold; padding: 2mm 4mm; display: inline-block; border: 2px solid; }
.overall.issued { color: #18753c; } .overall.refused { color: #c9191e; }
table { width: 100%; border-collapse: collapse; page-break-inside: auto; }
table#requirements { table-layout: fixed; }
td { overflow-wrap: anywhere; }
tr { page-break-inside: avoid; }
th, td { border: 1px solid #bbb; padding: 1mm 2mm; text-align: left; vertical-align: top; }
th { background: #eee; }
td.v-PASSED { color: #18753c; font-weight: bold; } td.v-FAILED, td.v-ABORTED { color: #c9191e; font-weight: bold; }
td.v-NOT_TESTED { color: #b34000; } td.v-WAIVED { color: #695240; font-weight: bold; }
code { font-size: 8pt; }
code.sha { white-space: normal; word-break: break-all; }
dl { display: grid; grid-template-columns: 40mm 1fr; gap: 1mm 4mm; margin: 0; }
dt { font-weight: bold; } dd { margin: 0; }
footer { margin-top: 8mm; font-size: 8pt; color: #555; }
"""


def certificate_payload(results: dict[str, Any]) -> dict[str, Any]:
    """The canonical facts of the certificate, in a stable form (what a signature covers)."""
    run, candidate, summary = results["run"], results["candidate"], results["summary"]
    return {
        "schema": CERTIFICATE_SCHEMA,
        "certificate_id": run["id"],
        "issued": bool(summary["certificate_issued"]),
        "status": run["status"],
        "candidate": {"name": candidate["name"], "vendor": candidate["vendor"], "version": candidate["version"]},
        "profiles": [{"id": p["id"], "version": p["version"], "framework": p["framework"]} for p in results["profiles"]],
        "harness_version": run["harness_version"],
        "started": run["started"],
        "finished": run["finished"],
        "requirements": [{"id": r["id"], "level": r["level"], "verdict": r["verdict"]} for r in results["requirements"]],
        "artefacts": [{"name": n, "sha256": h} for n, h in sorted({(a["name"], a["sha256"]) for a in results["artefacts"]})],
        "waivers": [{k: w[k] for k in WAIVER_FIELDS} for w in results.get("waivers", []) if w["status"] in ("applied", "expired")],
    }


def _title(results: dict[str, Any], lang: str) -> tuple[str, str, str]:
    if results["summary"]["certificate_issued"]:
        return label("certificate_title", lang), label("certificate_statement", lang), label("conformant", lang)
    if not results["run"]["complete"]:
        return label("incomplete_title", lang), label("incomplete_statement", lang), label("incomplete", lang)
    return label("nonconformity_title", lang), label("nonconformity_statement", lang), label("nonconformant", lang)


def render_certificate(results: dict[str, Any], lang: str = "fr", extra_head: str = "", extra_body: str = "") -> str:
    """The self-contained, printable certificate page. `extra_*` let a signature be embedded."""
    payload = certificate_payload(results)
    issued = payload["issued"]
    title, statement, overall = _title(results, lang)
    if issued and any(w["status"] == "applied" for w in payload["waivers"]):
        statement = f"{statement} {label('with_waivers', lang)}"
    run = results["run"]

    def esc(value: object) -> str:
        return escape(str(value)) if value is not None else "—"

    reasons = {r["id"]: "; ".join(x["reason"] for x in r.get("reasons", []) if x.get("reason"))[:300] for r in results["requirements"]}

    rows = "\n".join(
        f'<tr data-requirement="{esc(r["id"])}">'
        f"<td><code>{esc(r['id'])}</code></td><td>{esc(r['level'])}</td>"
        f"<td>{esc(r['statement'][lang])}<br><small>{esc(r['source']['document'])} {esc(r['source']['version'])}, "
        f"{esc(r['section'])}</small></td>"
        f'<td class="v-{esc(r["verdict"])}" data-verdict="{esc(r["verdict"])}">'
        f"{esc(label(r['verdict'], lang))}</td>"
        f"<td>{esc(reasons.get(r['id']) or '')}</td></tr>"
        for r in results["requirements"]
    )
    profiles = "\n".join(
        f"<tr><td><code>{esc(p['id'])}</code></td><td>{esc(p['title'][lang])}</td><td>{esc(p['version'])}</td>"
        f"<td>{esc(p['framework'])}</td><td>{esc(p['source']['document'])} {esc(p['source']['version'])} ({esc(p['source']['date'])})</td>"
        "</tr>"
        for p in results["profiles"]
    )
    artefacts = "\n".join(f"<tr><td>{esc(name)}</td><td><code class='sha'>{esc(sha)}</code></td></tr>"
                          for name, sha in ((a["name"], a["sha256"]) for a in payload["artefacts"]))
    counts = ", ".join(f"{label(k, lang)} : {v}" if lang == "fr" else f"{label(k, lang)}: {v}"
                       for k, v in results["summary"]["verdicts"].items() if v)
    blocking = ", ".join(results["summary"]["blocking"]) or label("none", lang)
    incomplete = f"<dt>{label('incomplete_reason', lang)}</dt><dd>{esc(run['incomplete_reason'])}</dd>" if not run["complete"] else ""
    candidate = payload["candidate"]
    waiver_rows = "\n".join(
        f"<tr data-requirement='{esc(w['requirement'])}' data-status='{esc(w['status'])}'><td><code>{esc(w['requirement'])}</code></td>"
        f"<td>{esc(label('waiver_' + w['status'], lang))}</td><td>{esc(w['justification'])}</td><td>{esc(w['approver'])}</td><td>"
        f"{esc(w['expires'])}</td></tr>"
        for w in payload["waivers"]
    )
    waivers = (f"<h2>{label('waivers', lang)}</h2>\n<table id='waivers'><thead><tr><th>{label('requirement', lang)}</th><th>"
               f"{label('status', lang)}</th>"
               f"<th>{label('justification', lang)}</th><th>{label('approver', lang)}</th><th>{label('expires', lang)}</th></tr></thead>\n"
               f"<tbody>{waiver_rows}</tbody></table>") if waiver_rows else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{esc(title)} — {esc(candidate['name'])}</title>
<style>{_STYLE}</style>
{extra_head}
</head>
<body data-issued="{str(issued).lower()}" data-certificate-id="{esc(payload['certificate_id'])}">
<header class="{'issued' if issued else 'refused'}">
<h1>{esc(title)}</h1>
<p class="statement">{esc(statement)}</p>
<p class="overall {'issued' if issued else 'refused'}" id="overall">\
{label('overall', lang)}{' :' if lang == 'fr' else ':'} {esc(overall)}</p>
</header>
<section>
<dl>
<dt>{label('identifier', lang)}</dt><dd><code id="certificate-id">{esc(payload['certificate_id'])}</code></dd>
<dt>{label('candidate', lang)}</dt><dd id="candidate">{esc(candidate['name'])}</dd>
<dt>{label('vendor', lang)}</dt><dd id="vendor">{esc(candidate['vendor'])}</dd>
<dt>{label('version', lang)}</dt><dd id="candidate-version">{esc(candidate['version'])}</dd>
<dt>{label('harness', lang)}</dt><dd>enrs-harness <span id="harness-version">{esc(payload['harness_version'])}</span></dd>
<dt>{label('started', lang)}</dt><dd id="started">{esc(payload['started'])}</dd>
<dt>{label('finished', lang)}</dt><dd id="finished">{esc(payload['finished'])}</dd>
<dt>{label('counts', lang)}</dt><dd>{esc(counts)}</dd>
<dt>{label('blocking', lang)}</dt><dd>{esc(blocking)}</dd>
{incomplete}
</dl>
</section>
<h2>{label('profiles', lang)}</h2>
<table id="profiles"><thead><tr><th>Id</th><th>{label('profiles', lang)}</th><th>{label('version', lang)}</th>\
<th>{label('framework', lang)}</th><th>{label('source', lang)}</th></tr></thead>
<tbody>{profiles}</tbody></table>
<h2>{label('requirements', lang)}</h2>
<table id="requirements"><colgroup><col style="width:23%"><col style="width:11%"><col style="width:36%"><col style="width:12%">\
<col style="width:18%"></colgroup><thead><tr><th>{label('requirement', lang)}</th><th>{label('level', lang)}</th>\
<th>{label('statement', lang)}</th><th>{label('verdict', lang)}</th><th>{label('reason', lang)}</th></tr></thead>
<tbody>{rows}</tbody></table>
<h2>{label('artefacts', lang)}</h2>
<table id="artefacts"><tbody>{artefacts or f"<tr><td>{label('none', lang)}</td></tr>"}</tbody></table>
{waivers}
{extra_body}
<footer>enrs-harness {esc(payload['harness_version'])} — {esc(run['id'])}</footer>
</body>
</html>
"""
