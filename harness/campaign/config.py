"""The campaign file (TOML): the campaign's settings and its candidates."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.config.schema import validate_config
from harness.core.errors import HarnessError
from harness.core.fileio import read_toml

DEFAULT_TIMEOUT = 1800.0
MAX_TIMEOUT = 24 * 3600.0
CAMPAIGN_KEYS = {"id", "title", "output", "timeout", "jobs", "lang", "waivers", "sign_with", "profiles", "profiles_dirs", "suites"}
CANDIDATE_KEYS = {"name", "vendor", "version", "target", "documents", "profiles", "timeout"}
CAMPAIGN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Candidate:
    name: str
    vendor: str | None
    version: str | None
    target: Path | None
    documents: tuple[Path, ...]
    profiles: tuple[str, ...]
    timeout: float
    slug: str


@dataclass(frozen=True)
class Campaign:
    id: str
    title: str
    file: Path
    output: Path
    timeout: float
    jobs: int
    lang: str
    waivers: Path | None
    sign_with: Path | None
    profiles_dirs: tuple[Path, ...]
    suites: tuple[Path, ...]
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)


def _fail(path: Path, where: str, fr: str, en: str) -> HarnessError:
    return HarnessError(f"fichier de campagne {path} : {where} : {fr}", f"campaign file {path}: {where}: {en}")


class _Table:
    def __init__(self, path: Path, where: str, table: Any, allowed: set[str]) -> None:
        self.path, self.where = path, where
        if not isinstance(table, dict):
            raise _fail(path, where, "doit être une table", "must be a table")
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise _fail(path, where, f"champ inconnu « {unknown[0]} »", f"unknown field '{unknown[0]}'")
        self.table = table

    def string(self, key: str, required: bool = False) -> str | None:
        value = self.table.get(key)
        if value is None:
            if required:
                raise _fail(self.path, f"{self.where} {key}", "champ obligatoire absent", "required field missing")
            return None
        if not isinstance(value, str) or not value.strip():
            raise _fail(self.path, f"{self.where} {key}", "doit être un texte non vide", "must be a non-empty string")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise _fail(self.path, f"{self.where} {key}", "doit être une liste de textes", "must be a list of strings")
        return tuple(value)

    def path_of(self, value: str, key: str) -> Path:
        resolved = (self.path.resolve().parent / value).resolve()
        if not resolved.exists():
            raise _fail(self.path, f"{self.where} {key}", f"{resolved} n'existe pas", f"{resolved} does not exist")
        return resolved

    def paths(self, key: str) -> tuple[Path, ...]:
        return tuple(self.path_of(v, key) for v in self.strings(key))

    def number(self, key: str, default: float, low: float, high: float) -> float:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise _fail(self.path, f"{self.where} {key}", f"doit être un nombre entre {low:g} et {high:g}",
                        f"must be a number between {low:g} and {high:g}")
        return float(value)


_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L"})


def transliterate(name: str) -> str:
    """Latin letters without their accents ("simulateur-défaillant" → "simulateur-defaillant"), so folder names keep their meaning."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slugify(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9._-]+", "-", transliterate(name).lower()).strip("-.") or "candidate"
    slug, index = base[:60], 2
    while slug in taken:
        slug, index = f"{base[:56]}-{index}", index + 1
    taken.add(slug)
    return slug


def load_campaign(path: Path, output: Path | None = None) -> Campaign:
    """Read and check a campaign file; relative paths are relative to the file's folder."""
    path = Path(path)
    raw = read_toml(path, lambda fr, en: _fail(path, "fichier/file", fr, en))
    validate_config(raw, "campaign", lambda where, fr, en: _fail(path, where, fr, en))
    if set(raw) - {"campaign", "candidates"}:
        raise _fail(path, "fichier/file", f"table inconnue « {sorted(set(raw) - {'campaign', 'candidates'})[0]} »", "unknown table")
    head = _Table(path, "[campaign]", raw.get("campaign"), CAMPAIGN_KEYS)
    campaign_id = head.string("id", required=True)
    assert campaign_id is not None
    if not CAMPAIGN_ID.match(campaign_id):
        raise _fail(path, "[campaign] id", "lettres, chiffres, '.', '_' et '-' seulement", "letters, digits, '.', '_' and '-' only")
    lang = head.string("lang") or "fr"
    if lang not in ("fr", "en"):
        raise _fail(path, "[campaign] lang", "fr ou en", "fr or en")
    timeout = head.number("timeout", DEFAULT_TIMEOUT, 1, MAX_TIMEOUT)
    default_profiles = head.strings("profiles")
    output_value = head.string("output")
    # Relative to the campaign file, never to the current folder: the history is found from wherever the campaign is run.
    out = output or (path.resolve().parent / (output_value or Path("reports") / "campaigns" / campaign_id))

    entries = raw.get("candidates", [])
    if not isinstance(entries, list) or not entries:
        raise _fail(path, "[[candidates]]", "au moins un candidat est attendu", "at least one candidate is expected")
    candidates, names, slugs = [], set(), set[str]()
    for index, entry in enumerate(entries, start=1):
        label = entry.get("name") if isinstance(entry, dict) and isinstance(entry.get("name"), str) else f"#{index}"
        table = _Table(path, f"[[candidates]] {label}", entry, CANDIDATE_KEYS)
        name = table.string("name", required=True)
        assert name is not None
        if name in names:
            raise _fail(path, f"[[candidates]] {name}", "nom en double", "duplicate name")
        names.add(name)
        target = table.path_of(target_file, "target") if (target_file := table.string("target")) else None
        documents = table.paths("documents")
        if target is None and not documents:
            raise _fail(path, f"[[candidates]] {name}", "target ou documents est obligatoire", "target or documents is required")
        vendor, version = table.string("vendor", required=target is None), table.string("version", required=target is None)
        candidates.append(Candidate(
            name=name, vendor=vendor, version=version, target=target, documents=documents,
            profiles=table.strings("profiles") or default_profiles,
            timeout=table.number("timeout", timeout, 1, MAX_TIMEOUT), slug=slugify(name, slugs),
        ))
    return Campaign(
        id=campaign_id, title=head.string("title") or campaign_id, file=path.resolve(), output=Path(out),
        timeout=timeout, jobs=int(head.number("jobs", min(4, os.cpu_count() or 1), 1, 64)), lang=lang,
        waivers=head.path_of(waivers_file, "waivers") if (waivers_file := head.string("waivers")) else None,
        sign_with=head.path_of(issuer_dir, "sign_with") if (issuer_dir := head.string("sign_with")) else None,
        profiles_dirs=head.paths("profiles_dirs"), suites=head.paths("suites"), candidates=tuple(candidates),
    )
