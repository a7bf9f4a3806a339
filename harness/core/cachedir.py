"""The harness's cache folder, shared by its caches (kit mode's compiled schematrons, validated profile packs)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """$ENRS_HARNESS_CACHE, else $XDG_CACHE_HOME/enrs-harness, else ~/.cache/enrs-harness (the XDG rule: an unset,
    empty or relative XDG_CACHE_HOME means ~/.cache). RuntimeError when there is no home folder to put it in."""
    configured = os.environ.get("ENRS_HARNESS_CACHE")
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache") / "enrs-harness"
