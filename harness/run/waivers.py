"""Waivers (dérogations): an authority's decision to accept one failed requirement for one candidate.

A waivers file is TOML (docs/campaigns.md):

    [[waivers]]
    requirement = "CISIS-SM-001"
    candidate = "DPI Exemple"          # the candidate's name, as in its target file
    version = "2.3"                    # optional: only this version of the candidate
    justification = "…"
    approver = "ARS Île-de-France, M. X"
    expires = 2026-12-31               # last day (UTC) the waiver is valid

A valid waiver turns a FAILED requirement into WAIVED. An expired one is ignored, and the run says
so in its results, summary, report and certificate: a waiver is never applied or dropped silently.
A waiver never covers a requirement that was not judged (ABORTED, NOT_TESTED), nor one that is not
in the run (profile not selected, outside the declared scope): each says so, with the reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.config.schema import validate_config
from harness.core.errors import HarnessError
from harness.core.fileio import read_toml
from harness.core.verdicts import Verdict

REQUIRED = ("requirement", "candidate", "justification", "approver", "expires")
ALLOWED = {*REQUIRED, "version"}
APPLIED, EXPIRED, NOT_NEEDED, NOT_JUDGED, NOT_IN_RUN = "applied", "expired", "not_needed", "not_judged", "not_in_run"


@dataclass(frozen=True)
class Waiver:
    requirement: str
    candidate: str
    justification: str
    approver: str
    expires: dt.date
    version: str | None = None

    def covers(self, name: str, version: str) -> bool:
        return self.candidate == name and (self.version is None or self.version == version)

    def to_dict(self) -> dict[str, Any]:
        return {"requirement": self.requirement, "candidate": self.candidate, "version": self.version,
                "justification": self.justification, "approver": self.approver, "expires": self.expires.isoformat()}


def _fail(path: Path, where: str, fr: str, en: str) -> HarnessError:
    return HarnessError(f"fichier de dérogations {path} : {where} : {fr}", f"waivers file {path}: {where}: {en}")


def load_waivers(path: Path, known_requirements: set[str] | None = None) -> list[Waiver]:
    """Read and check a waivers file; an unknown requirement id is an error (a typo never passes)."""
    path = Path(path)
    raw = read_toml(path, lambda fr, en: _fail(path, "fichier/file", fr, en))
    validate_config(raw, "waivers", lambda where, fr, en: _fail(path, where, fr, en))
    if set(raw) - {"waivers"}:
        raise _fail(path, "fichier/file", f"table inconnue « {sorted(set(raw) - {'waivers'})[0]} »",
                    f"unknown table '{sorted(set(raw) - {'waivers'})[0]}'")
    entries = raw.get("waivers", [])
    if not isinstance(entries, list):
        raise _fail(path, "waivers", "doit être une liste [[waivers]]", "must be a [[waivers]] list")
    waivers = []
    for index, entry in enumerate(entries, start=1):
        where = f"[[waivers]] #{index}"
        if not isinstance(entry, dict):
            raise _fail(path, where, "doit être une table", "must be a table")
        unknown = sorted(set(entry) - ALLOWED)
        if unknown:
            raise _fail(path, where, f"champ inconnu « {unknown[0]} »", f"unknown field '{unknown[0]}'")
        for key in REQUIRED:
            if key not in entry:
                raise _fail(path, where, f"champ obligatoire absent : {key}", f"required field missing: {key}")
        for key in ("requirement", "candidate", "justification", "approver", "version"):
            if key in entry and (not isinstance(entry[key], str) or not entry[key].strip()):
                raise _fail(path, f"{where} {key}", "doit être un texte non vide", "must be a non-empty string")
        expires = entry["expires"]
        if isinstance(expires, dt.datetime) or not isinstance(expires, dt.date):
            raise _fail(path, f"{where} expires", "doit être une date TOML (AAAA-MM-JJ)", "must be a TOML date (YYYY-MM-DD)")
        if known_requirements is not None and entry["requirement"] not in known_requirements:
            raise _fail(path, f"{where} requirement", f"exigence inconnue : {entry['requirement']}",
                        f"unknown requirement: {entry['requirement']}")
        waivers.append(Waiver(entry["requirement"], entry["candidate"], entry["justification"],
                              entry["approver"], expires, entry.get("version")))
    return waivers


def apply_waivers(rows: list[dict[str, Any]], waivers: list[Waiver], name: str, version: str, on: dt.date) -> list[dict[str, Any]]:
    """Apply the waivers of this candidate to the requirement rows of a run (in place).

    A FAILED row covered by a waiver valid on `on` (the run's UTC date; the waiver is valid up to and
    including `expires`) becomes WAIVED and carries the waiver; an expired waiver leaves the row
    FAILED and adds why. Returns each waiver of this candidate with its status: applied, expired,
    not_needed (nothing failed), not_judged (the requirement is ABORTED or NOT_TESTED: a waiver
    covers a failure, never a requirement nobody judged) or not_in_run (the requirement is not in
    the selected profiles, or outside the declared scope); the last two carry a `reason`.
    """
    by_id = {row["id"]: row for row in rows}
    statuses = []
    for waiver in waivers:
        if not waiver.covers(name, version):
            continue
        row = by_id.get(waiver.requirement)
        entry = waiver.to_dict()
        if row is None or row.get("in_scope") is False:
            entry["status"] = NOT_IN_RUN
            entry["reason"] = ({"fr": "exigence hors des profils sélectionnés pour cette exécution",
                                "en": "requirement not in the profiles selected for this run"}
                               if row is None
                               else {"fr": "exigence hors de la portée déclarée", "en": "requirement outside the declared scope"})
        elif waiver.expires < on:
            entry["status"] = EXPIRED
            if row["verdict"] == Verdict.FAILED:
                reason = (f"dérogation expirée le {waiver.expires.isoformat()}, ignorée / "
                          f"waiver expired on {waiver.expires.isoformat()}, ignored ({waiver.approver})")
                row.setdefault("reasons", []).insert(0, {"test": "waivers", "verdict": str(Verdict.FAILED), "reason": reason})
                row["waiver_expired"] = waiver.to_dict()
        elif row["verdict"] == Verdict.FAILED:
            entry["status"] = APPLIED
            row["verdict"] = str(Verdict.WAIVED)
            row["waiver"] = waiver.to_dict()
            row.setdefault("reasons", []).insert(0, {"test": "waivers", "verdict": str(Verdict.WAIVED),
                                                     "reason": f"dérogation / waiver: {waiver.justification} ({waiver.approver}, → "
                                                               f"{waiver.expires.isoformat()})"})
        elif row["verdict"] in (Verdict.ABORTED, Verdict.NOT_TESTED):
            entry["status"] = NOT_JUDGED
            entry["reason"] = {"fr": f"l'exigence n'a pas été jugée ({row['verdict']}) : une dérogation ne couvre qu'un échec",
                               "en": f"the requirement was not judged ({row['verdict']}): a waiver covers a failure only"}
        else:  # nothing failed, or another waiver already covers it
            entry["status"] = NOT_NEEDED
        statuses.append(entry)
    return statuses


def other_candidates(waivers: list[Waiver], name: str, version: str) -> int:
    """How many waivers of the file are for other candidates or versions (counted, not named: they are others' decisions)."""
    return sum(1 for waiver in waivers if not waiver.covers(name, version))


def unmatched(waivers: list[Waiver], candidates: dict[str, set[str]]) -> list[dict[str, Any]]:
    """The waivers of a campaign that name a candidate not in it, or a requirement none of its runs evaluates.

    `candidates` maps each candidate's name to the requirement ids of its run.
    """
    problems = []
    for waiver in waivers:
        if waiver.candidate not in candidates:
            reason = {"fr": f"aucun candidat « {waiver.candidate} » dans la campagne",
                      "en": f"no candidate '{waiver.candidate}' in the campaign"}
        elif candidates[waiver.candidate] and waiver.requirement not in candidates[waiver.candidate]:
            reason = {"fr": f"l'exigence {waiver.requirement} n'est pas dans les profils de ce candidat",
                      "en": f"requirement {waiver.requirement} is not in this candidate's profiles"}
        else:
            continue
        problems.append({**waiver.to_dict(), "reason": reason})
    return problems
