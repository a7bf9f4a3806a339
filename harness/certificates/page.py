"""The HTML conformance certificate (or non-conformity report) of a run.

The page is built from `certificate_payload(results)`: the canonical facts the certificate states
(id, candidate, profiles and versions, harness version, dates, every requirement verdict, the
SHA-256 of every tested artefact). A signed certificate signs exactly that payload.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from harness.core.i18n import label, readable_reason
from harness.core.results import Results

CERTIFICATE_SCHEMA = "enrs-harness/certificate/1"
WAIVER_FIELDS = ("requirement", "justification", "approver", "expires", "status")
SCOPE_FIELDS = ("declared", "roles", "volets", "profiles", "profiles_not_assessed", "statement")

ATTENTION = ("FAILED", "ABORTED", "NOT_TESTED", "WAIVED")  # the annex lists these first
BLOCKING_SHOWN = 6  # blocking requirements named on page 1; the annex lists them all, first


def certificate_payload(results: Mapping[str, Any] | Results) -> dict[str, Any]:
    """The canonical facts of the certificate, in a stable form (what a signature covers)."""
    typed = results if isinstance(results, Results) else Results.from_dict(results)
    run, candidate = typed.run, typed.candidate
    return {
        "schema": CERTIFICATE_SCHEMA,
        "certificate_id": run.id,
        "issued": bool(typed.summary.certificate_issued),
        "status": run.status,
        "candidate": {"name": candidate.name, "vendor": candidate.vendor, "version": candidate.version},
        "profiles": [{"id": p.id, "version": p.version, "framework": p.framework} for p in typed.profiles],
        "harness_version": run.harness_version,
        "started": run.started,
        "finished": run.finished,
        "requirements": [{"id": r.id, "level": r.level, "verdict": r.verdict} for r in typed.requirements],
        "artefacts": [{"name": n, "sha256": h} for n, h in sorted({(a["name"], a["sha256"]) for a in typed.artefacts})],
        "waivers": [{k: getattr(w, k) for k in WAIVER_FIELDS} for w in typed.waivers
                    if w.status in ("applied", "expired", "not_judged", "not_in_run")],
        "scope": {k: v for k, v in typed.scope.items() if k in SCOPE_FIELDS} if typed.scope is not None else None,
    }


def _title(results: Results, lang: str) -> tuple[str, str, str]:
    if results.summary.certificate_issued:
        return label("certificate_title", lang), label("certificate_statement", lang), label("conformant", lang)
    if not results.run.complete:
        return label("incomplete_title", lang), label("incomplete_statement", lang), label("incomplete", lang)
    return label("nonconformity_title", lang), label("nonconformity_statement", lang), label("nonconformant", lang)


def render_certificate(results: dict[str, Any], lang: str = "fr", extra_head: str = "", extra_body: str = "") -> str:
    """The self-contained, printable certificate page. `extra_*` let a signature be embedded.

    Page 1 is the certificate (candidate, scope, verdict, counts, blocking or waived requirements, issuer
    and signature); the annex follows on the next pages: requirements to review first, by profile.
    """
    from markupsafe import Markup

    from harness.pages import render

    typed = Results.from_dict(results)
    payload = certificate_payload(typed)
    issued = payload["issued"]
    title, statement, overall = _title(typed, lang)
    if issued and any(w["status"] == "applied" for w in payload["waivers"]):
        statement = f"{statement} {label('with_waivers', lang)}"
    reasons = {r["id"]: _reasons(r, lang) for r in results["requirements"]}
    return render(
        "certificate.html.j2", lang=lang, title=title, statement=statement, overall=overall, issued=issued,
        payload=payload, run=results["run"], candidate=payload["candidate"], profiles=results["profiles"],
        counts=[(k, v) for k, v in typed.summary.verdicts.items() if v],
        scope=typed.scope, ignored=results.get("ignored"),
        blocking=_blocking(results, reasons, lang), blocking_shown=BLOCKING_SHOWN,
        waived=[w for w in payload["waivers"]], annex=_annex(results), reasons=reasons,
        extra_head=Markup(extra_head), extra_body=Markup(extra_body),
    )


def _reasons(requirement: dict[str, Any], lang: str) -> str:
    """The distinct reasons of a requirement's verdict, in words, about 300 characters at most."""
    if requirement["verdict"] in ("NOT_TESTED", "NOT_APPLICABLE") and requirement.get("reason"):
        return readable_reason(requirement["reason"][lang], lang, 300)  # why it was not judged, in the page's language
    said = dict.fromkeys(readable_reason(x["reason"], lang).rstrip(".") for x in requirement.get("reasons", []) if x.get("reason"))
    return readable_reason("; ".join(said), lang, 300) if said else ""


def _blocking(results: dict[str, Any], reasons: dict[str, str], lang: str) -> list[dict[str, str]]:
    """What stands between the candidate and a certificate: results' own list when it has one, else the MUST rows."""
    from harness.pages import shown

    given = results.get("blocking")
    if given is not None:  # artefacts and endpoint checks first: the annex lists only the requirements
        given = sorted(given, key=lambda b: b.get("kind") == "requirement")
        return [{"id": str(b.get("id") or b.get("path") or b.get("kind", "")), "kind": str(b.get("kind", "")),
                 "verdict": str(b.get("verdict", "")),
                 "reason": readable_reason(shown(b.get("reason"), lang), lang, 200) if b.get("reason") else ""} for b in given]
    by_id = {r["id"]: r for r in results["requirements"]}
    first = {r["id"]: next((x["reason"] for x in r.get("reasons", []) if x.get("reason")), "") for r in results["requirements"]}
    return [{"id": rid, "kind": "requirement", "verdict": by_id[rid]["verdict"], "reason": readable_reason(first[rid], lang, 110)}
            for rid in results["summary"]["blocking"] if rid in by_id]


def _annex(results: dict[str, Any]) -> list[tuple[str, list[tuple[dict[str, Any], list[dict[str, Any]]]]]]:
    """The requirement rows in two parts (to review, then met or not applicable), each grouped by profile."""
    profiles = {p["id"]: p for p in results["profiles"]}
    parts: list[tuple[str, list[tuple[dict[str, Any], list[dict[str, Any]]]]]] = []
    wanted: Callable[[Any], bool]
    for part, wanted in (("attention", lambda v: v in ATTENTION), ("other", lambda v: v not in ATTENTION)):
        groups: dict[str, list[dict[str, Any]]] = {}
        for row in results["requirements"]:
            if wanted(row["verdict"]):
                groups.setdefault(row["pack"], []).append(row)
        order = {"FAILED": 0, "ABORTED": 1, "NOT_TESTED": 2, "WAIVED": 3}
        ordered = [(profiles.get(pid, {"id": pid, "version": rows[0].get("pack_version", "")}),
                    sorted(rows, key=lambda r: (order.get(r["verdict"], 9), r["level"] != "MUST"))) for pid, rows in groups.items()]
        if ordered:
            parts.append((part, ordered))
    return parts
