"""The on-disk cache of compiled schematrons (XSLT) and generated kit files, by content hash.

Folder: harness.core.cachedir.cache_root() ($ENRS_HARNESS_CACHE, else $XDG_CACHE_HOME/enrs-harness, else
~/.cache/enrs-harness). Entries are written atomically and
named by the SHA-256 of what they were made from, so a changed kit never reuses a stale entry
and concurrent workers never see half-written files.
"""

from __future__ import annotations

from pathlib import Path

from harness.core.cachedir import cache_root
from harness.core.errors import HarnessError
from harness.core.fileio import atomic_write_bytes


def cache_path(kind: str, digest: str, suffix: str) -> Path:
    return cache_root() / kind / f"{digest}{suffix}"


def store(path: Path, data: bytes) -> Path:
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise HarnessError(
            f"dossier de cache inutilisable ({path.parent} : {exc.strerror}) ; choisissez-en un avec ENRS_HARNESS_CACHE",
            f"cache folder not usable ({path.parent}: {exc.strerror}); choose one with ENRS_HARNESS_CACHE") from None
    return path
