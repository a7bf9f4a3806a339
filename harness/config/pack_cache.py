"""A cache of validated profile packs: loading unchanged packs skips the TOML parsing and the schema check
(and the import of jsonschema), about half of `validate`'s startup.

An entry is the TOML table of a pack that loaded without error, as JSON (data only: nothing in the cache can run
code), in a file named by the SHA-256 of the pack's bytes salted with what the check depends on: the cache format,
the harness version, Python's (its tomllib), the schema's source and the registered HL7 v2 rule modules (the schema
lists them). Any change of those misses, and the pack is read and checked anew. The pack objects are then built
from the table as from a fresh one (requirements read, declarative checks compiled).

Location: the folder `packs` of the harness's cache folder (harness.core.cachedir: $ENRS_HARNESS_CACHE, else
$XDG_CACHE_HOME/enrs-harness, else ~/.cache/enrs-harness), folders created 0700, files written atomically, at most
MAX_ENTRIES files (the oldest pruned); ENRS_HARNESS_NO_CACHE=1 turns it off. A folder that cannot be made or
written, a file truncated, corrupt or not matching its name: ignored, never an error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from harness.core.cachedir import cache_root
from harness.core.fileio import atomic_write_bytes

FORMAT = 1  # raise when the entries' layout changes
DISABLE = "ENRS_HARNESS_NO_CACHE"
MAX_ENTRIES = 256  # ~20 packs per installation: room for a few versions and a user's own packs


class NotCacheable(Exception):
    """A TOML value JSON cannot give back exactly (a date-time, a time): the pack is then loaded without the cache."""


def cache_folder() -> Path | None:
    """Where entries go, or None when the cache is turned off or there is no home to put it in."""
    if os.environ.get(DISABLE, "") not in ("", "0"):
        return None
    try:
        return cache_root() / "packs"
    except (RuntimeError, KeyError):  # no home folder
        return None


def _salt() -> bytes:
    """What a pack's validity depends on besides its bytes (see the module's docstring)."""
    from harness import __version__
    from harness.config import schema
    from harness.extension.registry import plugins

    rule_modules = [plugin.label for plugin in plugins("hl7v2_rules")]
    schema_source = hashlib.sha256(Path(schema.__file__).read_bytes()).hexdigest()
    return json.dumps([FORMAT, __version__, sys.version, schema_source, rule_modules]).encode("utf-8") + b"\n"


def _to_json(value: Any, path: list[Any], dates: list[list[Any]]) -> Any:
    """`value` with its dates as ISO strings, their paths noted in `dates`; NotCacheable for what JSON cannot hold."""
    if isinstance(value, dict):
        return {key: _to_json(item, [*path, key], dates) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_json(item, [*path, index], dates) for index, item in enumerate(value)]
    if type(value) is dt.date:
        dates.append(path)
        return value.isoformat()
    if isinstance(value, (str, bool, int, float)):
        return value
    raise NotCacheable(type(value).__name__)


def encode(raw: dict[str, Any]) -> bytes:
    """The entry of a pack's TOML table (NotCacheable when it holds a date-time or a time)."""
    dates: list[list[Any]] = []
    table = _to_json(raw, [], dates)
    try:
        return json.dumps({"pack": table, "dates": dates}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate (tomllib gives none; checked rather than assumed)
        raise NotCacheable(str(exc)) from None


def decode(payload: bytes) -> dict[str, Any]:
    """The TOML table of an entry (ValueError, KeyError, IndexError or TypeError when it is not one)."""
    entry = json.loads(payload)
    table = entry["pack"]
    if not isinstance(table, dict):
        raise TypeError("not a table")
    for path in entry["dates"]:
        holder = table
        for part in path[:-1]:
            holder = holder[part]
        holder[path[-1]] = dt.date.fromisoformat(holder[path[-1]])
    return table


class PackCache:
    """The entries of one cache folder, keyed by a pack's bytes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._salt = _salt()

    @classmethod
    def open(cls) -> PackCache | None:
        folder = cache_folder()
        return cls(folder) if folder is not None else None

    def key(self, data: bytes) -> str:
        return hashlib.sha256(self._salt + data).hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        """The table stored under `key`, or None (absent, unreadable, truncated, corrupt or foreign)."""
        try:
            stored = (self.folder / f"{key}.json").read_bytes()
        except OSError:
            return None
        head, _, payload = stored.partition(b"\n")
        if head != f"{FORMAT} {key} {hashlib.sha256(payload).hexdigest()}".encode("ascii"):
            return None
        try:
            return decode(payload)
        except (ValueError, KeyError, IndexError, TypeError, RecursionError):
            return None

    def put(self, key: str, payload: bytes) -> None:
        """Store an entry (from `encode`); a folder that cannot be written is left as it is."""
        head = f"{FORMAT} {key} {hashlib.sha256(payload).hexdigest()}\n".encode("ascii")
        try:
            self.folder.parent.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # e.g. ~/.cache (its parents: mode 0777 - umask)
            for folder in (self.folder.parent, self.folder):
                folder.mkdir(mode=0o700, exist_ok=True)
            atomic_write_bytes(self.folder / f"{key}.json", head + payload)
            self._prune()
        except OSError:
            pass

    def _prune(self) -> None:
        """Keep the MAX_ENTRIES newest files (an old version's entries, packs since changed, left-over temporary files)."""
        files: list[tuple[float, Path]] = []
        for path in self.folder.iterdir():
            try:
                files.append((path.stat().st_mtime, path))
            except OSError:  # removed meanwhile by another process
                continue
        for _, path in sorted(files, reverse=True)[MAX_ENTRIES:]:
            path.unlink(missing_ok=True)
