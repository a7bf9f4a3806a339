"""Profile packs: versioned, declarative sets of requirements of the national framework.

A pack is one TOML file (see docs/profile-packs.md). It is validated when loaded; a broken pack
stops with an error that names the file, the requirement and the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from harness.config import pack_cache
from harness.config.pack_cache import PackCache
from harness.config.schema import validate_config
from harness.core.errors import HarnessError
from harness.core.fileio import parse_toml, read_config_bytes
from harness.core.i18n import Text
from harness.core.safe_regex import UnsafePattern, compile_pattern, pattern_fields

LEVELS = ("MUST", "SHOULD", "MAY")
PACK_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
REQUIREMENT_ID = re.compile(r"^[A-Z0-9][A-Za-z0-9._-]*$")
EVALUATOR = re.compile(r"^(validator|suite):[A-Za-z0-9._/-]+$")
TOP_LEVEL_KEYS = {"pack", "requirements", "settings", "data"}
PACK_KEYS = {"id", "version", "framework", "title", "source", "evaluated_by", "applies_to", "description", "opt_in"}
SOURCE_KEYS = {"document", "version", "date", "url"}
REQUIREMENT_KEYS = {"id", "level", "statement", "section", "applies_to", "evaluated_by", "source", "settings", "cda_checks", "hl7v2_checks",
                    "not_tested_reason"}
CHECK_EVALUATORS = {"cda": "validator:cda", "hl7v2": "validator:hl7v2"}  # declarative checks (cda_checks, hl7v2_checks) → who runs them


@dataclass(frozen=True)
class Source:
    document: str
    version: str
    date: str
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"document": self.document, "version": self.version, "date": self.date, "url": self.url}


@dataclass(frozen=True)
class Requirement:
    id: str
    level: str
    statement: Text
    section: str
    applies_to: tuple[str, ...]
    evaluated_by: tuple[str, ...]
    pack_id: str
    source: Source
    settings: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    # declarative checks of the pack ("cda" → [[requirements.cda_checks]] tables, "hl7v2" → [[requirements.hl7v2_checks]])
    checks: dict[str, tuple[dict[str, Any], ...]] = field(default_factory=dict, hash=False, compare=False)
    not_tested_reason: Text | None = None  # why nothing in the harness evaluates it (profiles coverage)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "level": self.level,
            "statement": self.statement.to_dict(),
            "section": self.section,
            "applies_to": list(self.applies_to),
            "evaluated_by": list(self.evaluated_by),
            "pack": self.pack_id,
            "source": self.source.to_dict(),
        }


@dataclass(frozen=True)
class ProfilePack:
    id: str
    version: str
    framework: str
    title: Text
    source: Source
    requirements: tuple[Requirement, ...]
    path: Path
    settings: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    # not in the default selection: judged only when named (--profile) or claimed by the target's [scope] profiles
    opt_in: bool = False

    def requirement(self, requirement_id: str) -> Requirement:
        for requirement in self.requirements:
            if requirement.id == requirement_id:
                return requirement
        raise KeyError(requirement_id)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "framework": self.framework,
            "title": self.title.to_dict(),
            "source": self.source.to_dict(),
            "requirements": len(self.requirements),
            "path": str(self.path),
        }


class PackError(HarnessError):
    """A profile pack that cannot be loaded; names the file, the requirement and the field."""

    def __init__(self, path: Path, where: str, fr: str, en: str) -> None:
        super().__init__(f"pack de profil {path} : {where} : {fr}", f"profile pack {path}: {where}: {en}")


class _Reader:
    """Reads and checks the fields of one TOML table, naming where a problem is."""

    def __init__(self, path: Path, where: str, table: Any, allowed: set[str]) -> None:
        self.path, self.where = path, where
        if not isinstance(table, dict):
            self.fail("doit être une table", "must be a table")
        unknown = sorted(set(table) - allowed)
        if unknown:
            self.fail(f"champ inconnu « {unknown[0]} »", f"unknown field '{unknown[0]}'")
        self.table = table

    def fail(self, fr: str, en: str, name: str | None = None) -> NoReturn:
        where = f"{self.where}, champ/field '{name}'" if name else self.where
        raise PackError(self.path, where, fr, en)

    def string(self, name: str, pattern: re.Pattern[str] | None = None, required: bool = True) -> str | None:
        value = self.table.get(name)
        if value is None:
            if required:
                self.fail("champ obligatoire absent", "required field missing", name)
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail("doit être un texte non vide", "must be a non-empty string", name)
        if pattern and not pattern.match(value):
            self.fail(f"valeur « {value} » mal formée", f"malformed value '{value}'", name)
        return value

    def text(self, name: str, required: bool = True) -> Text | None:
        value = self.table.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, dict) or set(value) != {"fr", "en"}:
            self.fail("doit être une table avec exactement fr et en", "must be a table with exactly fr and en", name)
        for lang in ("fr", "en"):
            if not isinstance(value[lang], str) or not value[lang].strip():
                self.fail(f"le texte {lang} doit être non vide", f"the {lang} text must be non-empty", name)
        return Text(value["fr"], value["en"])

    def string_list(self, name: str, pattern: re.Pattern[str] | None = None) -> tuple[str, ...] | None:
        value = self.table.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            self.fail("doit être un texte ou une liste de textes non vide", "must be a string or a non-empty list of strings", name)
        for item in value:
            if pattern and not pattern.match(item):
                self.fail(f"valeur « {item} » mal formée", f"malformed value '{item}'", name)
        return tuple(value)

    def table_of(self, name: str) -> dict[str, Any]:
        value = self.table.get(name, {})
        if not isinstance(value, dict):
            self.fail("doit être une table", "must be a table", name)
        return value


def _read_source(path: Path, where: str, table: Any, fallback: Source | None) -> Source:
    if table is None:
        if fallback is None:
            raise PackError(path, where, "champ obligatoire absent : source", "required field missing: source")
        return fallback
    reader = _Reader(path, f"{where}, source", table, SOURCE_KEYS)
    document = reader.string("document", required=fallback is None) or fallback.document  # type: ignore[union-attr]  # no fallback: the field was required
    version = reader.string("version", required=fallback is None) or fallback.version  # type: ignore[union-attr]  # no fallback: the field was required
    date = reader.table.get("date", fallback.date if fallback else None)
    if date is None:
        reader.fail("champ obligatoire absent", "required field missing", "date")
    return Source(document, version, str(date), reader.string("url", required=False))


def _requirement_named(raw: dict[str, Any], where: str) -> str:
    """`[[requirements]] #2 level` as `exigence/requirement DEMO-2, champ/field 'level'` when the entry has an id."""
    match = re.fullmatch(r"\[\[requirements\]\] #(\d+) ?(.*)", where)
    entries = raw.get("requirements")
    if not match or not isinstance(entries, list):
        return where
    entry = entries[int(match[1]) - 1]
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        return where
    return f"exigence/requirement {entry['id']}" + (f", champ/field '{match[2]}'" if match[2] else "")


def _compile_checks(path: Path, requirement: Requirement) -> None:
    """Compile the requirement's declarative checks once at load, so that a wrong XPath or field path stops here, named."""
    if "cda" in requirement.checks:
        from harness.cda.declarative import compile_check

        for raw in requirement.checks["cda"]:
            compile_check(f"{path} : exigence/requirement {requirement.id}", requirement.id, raw)
    if "hl7v2" in requirement.checks:
        from harness.hl7v2.declarative import compile_check as compile_field_check

        for raw in requirement.checks["hl7v2"]:
            compile_field_check(f"{path} : exigence/requirement {requirement.id}", requirement.id, raw)


def load_pack(path: Path, cache: PackCache | None = None) -> ProfilePack:
    """Load and validate one profile pack file. With a cache, a pack whose very bytes passed before skips the TOML
    parsing and the schema check; the pack is built from the stored table as from a parsed one."""
    path = Path(path)

    def fail(fr: str, en: str) -> PackError:
        return PackError(path, "fichier/file", fr, en)

    data = read_config_bytes(path, fail)
    key = cache.key(data) if cache is not None else ""
    stored = cache.get(key) if cache is not None else None
    if stored is not None:
        try:
            return _pack_from(path, stored)
        except Exception:  # an entry that passed its checksum yet builds no pack: read the file anew below
            pass
    raw = parse_toml(data, fail)
    validate_config(raw, "pack", lambda where, fr, en: PackError(path, _requirement_named(raw, where), fr, en))
    try:
        entry = pack_cache.encode(raw) if cache is not None else None  # before building: the pack shares raw's tables
    except pack_cache.NotCacheable:
        entry = None
    pack = _pack_from(path, raw)
    if cache is not None and entry is not None:  # stored only once the pack is built without error
        cache.put(key, entry)
    return pack


def _pack_from(path: Path, raw: dict[str, Any]) -> ProfilePack:
    """The pack of a TOML table that passed the schema check (the checks the schema cannot express are made here)."""
    top = _Reader(path, "fichier/file", raw, TOP_LEVEL_KEYS)
    if "pack" not in raw:
        top.fail("table [pack] absente", "missing [pack] table", "pack")
    head = _Reader(path, "[pack]", raw["pack"], PACK_KEYS)
    pack_id = head.string("id", PACK_ID)
    assert pack_id is not None
    source = _read_source(path, "[pack]", head.table.get("source"), None)
    default_evaluators = head.string_list("evaluated_by", EVALUATOR)
    default_applies = head.string_list("applies_to")
    opt_in = head.table.get("opt_in", False)
    if not isinstance(opt_in, bool):
        head.fail("true ou false attendu", "true or false expected", "opt_in")

    requirements: list[Requirement] = []
    seen: set[str] = set()
    entries = raw.get("requirements", [])
    if not isinstance(entries, list) or not entries:
        top.fail("au moins une exigence [[requirements]] est attendue", "at least one [[requirements]] entry is expected", "requirements")
    for index, entry in enumerate(entries, start=1):
        label = entry.get("id") if isinstance(entry, dict) and isinstance(entry.get("id"), str) else f"#{index}"
        reader = _Reader(path, f"exigence/requirement {label}", entry, REQUIREMENT_KEYS)
        req_id = reader.string("id", REQUIREMENT_ID)
        assert req_id is not None
        if req_id in seen:
            reader.fail("identifiant en double", "duplicate id", "id")
        seen.add(req_id)
        level = reader.string("level")
        if level not in LEVELS:
            reader.fail(f"niveau « {level} » invalide (MUST, SHOULD ou MAY)", f"invalid level '{level}' (MUST, SHOULD or MAY)", "level")
        evaluators = reader.string_list("evaluated_by", EVALUATOR) or default_evaluators
        if not evaluators:
            reader.fail("champ obligatoire absent (ni sur l'exigence ni sur le pack)",
                        "required field missing (neither on the requirement nor on the pack)", "evaluated_by")
        checks = {kind: tuple(entry.get(f"{kind}_checks", ())) for kind in CHECK_EVALUATORS if entry.get(f"{kind}_checks")}
        for kind in checks:
            if CHECK_EVALUATORS[kind] not in evaluators:
                reader.fail(f"des {kind}_checks ne sont exécutés que par {CHECK_EVALUATORS[kind]} (evaluated_by)",
                            f"{kind}_checks are run only by {CHECK_EVALUATORS[kind]} (evaluated_by)", f"{kind}_checks")
        applies = reader.string_list("applies_to") or default_applies
        if not applies:
            reader.fail("champ obligatoire absent (ni sur l'exigence ni sur le pack)",
                        "required field missing (neither on the requirement nor on the pack)", "applies_to")
        requirements.append(
            Requirement(
                id=req_id,
                level=level,
                statement=reader.text("statement"),  # type: ignore[arg-type]  # required: text() raised if absent
                section=reader.string("section"),  # type: ignore[arg-type]  # required: string() raised if absent
                applies_to=applies,
                evaluated_by=evaluators,
                pack_id=pack_id,
                source=_read_source(path, f"exigence/requirement {req_id}", entry.get("source"), source),
                settings=reader.table_of("settings"),
                checks=checks,
                not_tested_reason=reader.text("not_tested_reason", required=False),
            )
        )
        _compile_checks(path, requirements[-1])
    for table in ("settings", "data"):
        for where, pattern in pattern_fields(raw.get(table, {}), table):
            try:
                compile_pattern(pattern)
            except UnsafePattern as exc:
                raise PackError(path, where, f"expression régulière refusée par le moteur sûr (RE2) : {exc}",
                                f"regular expression refused by the safe engine (RE2): {exc}") from None
    return ProfilePack(
        id=pack_id,
        version=head.string("version"),  # type: ignore[arg-type]  # required: string() raised if absent
        framework=head.string("framework"),  # type: ignore[arg-type]  # required: string() raised if absent
        title=head.text("title"),  # type: ignore[arg-type]  # required: text() raised if absent
        source=source,
        requirements=tuple(requirements),
        path=path,
        settings=top.table_of("settings"),
        data=top.table_of("data"),
        opt_in=opt_in,
    )


class PackRegistry:
    """Every pack loaded for a run: the built-in ones and those of the user's folders."""

    def __init__(self, packs: Iterable[ProfilePack]) -> None:
        self.packs: dict[str, ProfilePack] = {}
        self.requirements: dict[str, Requirement] = {}
        for pack in packs:
            if pack.id in self.packs:
                other = self.packs[pack.id].path
                raise PackError(pack.path, "[pack]", f"identifiant « {pack.id} » déjà utilisé par {other}",
                                f"id '{pack.id}' already used by {other}")
            for requirement in pack.requirements:
                if requirement.id in self.requirements:
                    other = self.packs[self.requirements[requirement.id].pack_id].path
                    raise PackError(pack.path, f"exigence/requirement {requirement.id}",
                                    f"identifiant déjà défini dans {other}", f"id already defined in {other}")
                self.requirements[requirement.id] = requirement
            self.packs[pack.id] = pack

    @classmethod
    def load(cls, extra_dirs: Iterable[Path] = (), include_builtin: bool = True) -> PackRegistry:
        from harness.extension.registry import pack_dirs  # the national packs and those of installed extensions

        dirs = (pack_dirs() if include_builtin else []) + [Path(d) for d in extra_dirs]
        packs: list[ProfilePack] = []
        cache = PackCache.open()
        for directory in dirs:
            if not directory.is_dir():
                raise HarnessError(f"dossier de profils introuvable : {directory}", f"profiles folder not found: {directory}")
            packs.extend(load_pack(p, cache) for p in sorted(directory.glob("*.toml")))
        return cls(packs)

    def get(self, pack_id: str) -> ProfilePack:
        try:
            return self.packs[pack_id]
        except KeyError:
            known = ", ".join(sorted(self.packs)) or "-"
            raise HarnessError(f"profil inconnu : {pack_id} (connus : {known})", f"unknown profile: {pack_id} (known: {known})") from None

    def select(self, pack_ids: Iterable[str], claimed: Iterable[str] = ()) -> list[ProfilePack]:
        """The packs named, in the order given; when none is named, every pack but the opt-in ones, plus the opt-in
        packs `claimed` (the target's [scope] profiles, e.g. ci-sis-xds-dmp for a candidate submitting to the DMP)."""
        ids = list(dict.fromkeys(pack_ids))
        if ids:
            return [self.get(i) for i in ids]
        wanted = {self.get(i).id for i in claimed}
        return [p for p in self.packs.values() if not p.opt_in or p.id in wanted]
