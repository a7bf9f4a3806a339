"""What a certificate may claim: the scope of each requirement row, why a row was not judged, what blocks.

A certificate is issued only when everything in its scope was judged (docs/results.md): every row
that is not PASSED says why, in the run's language, and every requirement, artefact or endpoint
check in scope that failed a MUST or could not be judged is a blocking item, named with its reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness.config.packs import Requirement
from harness.config.scope import Scope, split_reason
from harness.core.verdicts import ArtefactVerdict, Verdict
from harness.run.recorder import TestRecord

HARNESS_TEST = "enrs-harness"  # the `test` of a reason the harness gives itself (not a test's)
_UNJUDGED = (Verdict.FAILED, Verdict.ABORTED, Verdict.NOT_TESTED)


def _validator_kind(requirement: Requirement) -> str | None:
    """The artefact kind a requirement is judged on (`validator:cda-kit` → cda), None for suite requirements."""
    for evaluator in requirement.evaluated_by:
        if evaluator.startswith("validator:"):
            return evaluator.removeprefix("validator:").split("-")[0]
    return None


def _text(fr: str, en: str) -> dict[str, str]:
    return {"fr": fr, "en": en}


def _give_reason(row: dict[str, Any], verdict: Verdict, reason: dict[str, str], lang: str) -> None:
    row["verdict"] = str(verdict)
    row["reason"] = reason
    row.setdefault("reasons", []).insert(0, {"test": HARNESS_TEST, "verdict": str(verdict), "reason": reason[lang]})


def judge_rows(rows: list[dict[str, Any]], requirements: dict[str, Requirement], records: Iterable[TestRecord],
               scope: Scope, lang: str, status: str) -> None:
    """Apply the scope to the requirement rows and give every row that is not PASSED a reason (in place)."""
    records = list(records)
    validated = Counter(a.kind for r in records for a in r.artefacts if a.verdict in (ArtefactVerdict.PASSED, ArtefactVerdict.FAILED))
    volets_seen = {a.profile for r in records for a in r.artefacts if a.profile and a.verdict != ArtefactVerdict.ABORTED}
    skipped: dict[str, list[str]] = {}
    for record in records:
        if record.finished and record.verdict is None:
            for requirement_id in record.requirements:
                skipped.setdefault(requirement_id, []).append(record.reason or record.nodeid)
    for row in rows:
        requirement = requirements[row["id"]]
        outside = scope.why_outside(requirement)
        row["in_scope"] = outside is None
        if outside is not None:
            if row["verdict"] != Verdict.NOT_TESTED:
                row["observed"] = {"verdict": row["verdict"], "reasons": row.get("reasons", [])[:3]}
            row["reasons"] = []
            _give_reason(row, Verdict.NOT_APPLICABLE, _text(*outside), lang)
        elif row["verdict"] == Verdict.NOT_TESTED:
            verdict, reason = _not_tested(requirement, scope, validated, volets_seen, skipped, status)
            if verdict is Verdict.NOT_TESTED and not scope.declared and status == "complete" and requirement.id not in skipped:
                reason = _text(f"{reason['fr']} ; si elle ne concerne pas le candidat, déclarez sa portée ([scope], docs/target-file.md)",
                               f"{reason['en']}; if it does not concern the candidate, declare its scope ([scope], docs/target-file.md)")
            _give_reason(row, verdict, reason, lang)
        else:
            given = next((x["reason"] for x in row.get("reasons", []) if x.get("reason")), None)
            if given is not None:
                row["reason"] = split_reason(given)
            elif row["verdict"] != Verdict.PASSED:
                tests = ", ".join(row.get("tests", [])[:3])
                _give_reason(row, Verdict(row["verdict"]),
                             _text(f"verdict des tests {tests}, sans motif donné", f"verdict of the tests {tests}, no reason given"), lang)
            else:
                row["reason"] = None


def _not_tested(requirement: Requirement, scope: Scope, validated: Counter[str | None], volets_seen: set[str],
                skipped: dict[str, list[str]], status: str) -> tuple[Verdict, dict[str, str]]:
    """Why nothing judged a requirement in scope; NOT_APPLICABLE when its rules applied to none of the artefacts given."""
    if status == "running":
        return Verdict.NOT_TESTED, _text("pas encore évaluée (exécution en cours)", "not evaluated yet (run in progress)")
    if status != "complete":
        return Verdict.NOT_TESTED, _text("l'exécution s'est arrêtée avant de l'évaluer", "the run stopped before evaluating it")
    kind = _validator_kind(requirement)
    volet = scope.volet(requirement)
    if volet is not None and volet not in volets_seen:
        return Verdict.NOT_TESTED, _text(f"aucun document du volet {volet} n'a été soumis, alors que la portée déclare ce volet",
                                         f"no document of volet {volet} was submitted, although the scope declares this volet")
    if kind is not None and validated[kind]:
        n = validated[kind]
        return Verdict.NOT_APPLICABLE, _text(f"ses règles ne s'appliquent à aucun des {n} artefact(s) {kind} validé(s) "
                                             "(règle conditionnelle : N1, volet…)",
                                             f"its rules apply to none of the {n} {kind} artefact(s) validated "
                                             "(conditional rule: N1, volet…)")
    if kind is not None:
        return Verdict.NOT_TESTED, _text(f"aucun artefact {kind} n'a été soumis (documents de la cible ou --documents)",
                                         f"no {kind} artefact was submitted (the target's documents or --documents)")
    if requirement.id in skipped:
        why = "; ".join(dict.fromkeys(skipped[requirement.id]))[:300]
        return Verdict.NOT_TESTED, _text(f"tests ignorés : {why}", f"tests skipped: {why}")
    evaluators = ", ".join(requirement.evaluated_by)
    return Verdict.NOT_TESTED, _text(f"aucun test de cette exécution ne l'évalue ({evaluators})",
                                     f"no test of this run evaluates it ({evaluators})")


def blocking_items(rows: list[dict[str, Any]], records: Iterable[TestRecord], scope: Scope) -> list[dict[str, Any]]:
    """What prevents the certificate: requirements, artefacts and endpoint checks in scope, each with its reason."""
    items: list[dict[str, Any]] = []
    in_scope = {r["id"] for r in rows if r.get("in_scope", True)}
    for row in rows:
        if row["id"] in in_scope and (row["verdict"] == Verdict.ABORTED or (row["level"] == "MUST" and row["verdict"] in _UNJUDGED)):
            reason = row.get("reason") or split_reason(next((x["reason"] for x in row.get("reasons", []) if x.get("reason")), ""))
            items.append({"kind": "requirement", "id": row["id"], "level": row["level"], "verdict": row["verdict"], "reason": reason})
    kinds = {t for r in rows if r["id"] in in_scope for t in r["applies_to"]}
    seen: set[tuple[str, str]] = set()
    for record in records:
        aborted = [a for a in record.artefacts if a.verdict == ArtefactVerdict.ABORTED]
        for artefact in aborted:
            path = record.subject[1] if record.subject else None
            key = (artefact.name, path or record.nodeid)  # two files of the same name in two folders are two items
            if (artefact.kind is None or artefact.kind in kinds) and key not in seen:
                seen.add(key)
                items.append({"kind": "artefact", "id": artefact.name, "path": path, "test": record.nodeid,
                              "verdict": str(Verdict.ABORTED), "reason": split_reason(artefact.reason or record.reason)})
        if record.verdict is not Verdict.ABORTED or aborted or record.subject is None:
            continue  # what remains: an endpoint check, or a document test that ended before recording its artefact
        kind, name = record.subject
        judged = set(record.requirements) | set(record.explicit)
        if kind == "endpoint" and not (judged & in_scope or set(record.packs) & set(scope.profiles)):
            continue
        items.append({"kind": kind, "id": name if kind == "endpoint" else Path(name).name, "path": name if kind == "artefact" else None,
                      "test": record.nodeid, "verdict": str(Verdict.ABORTED), "reason": split_reason(record.reason)})
    return items
