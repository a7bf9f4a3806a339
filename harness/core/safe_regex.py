"""Regular expressions from profile packs, run by RE2: linear time, no catastrophic backtracking.

A pack is data a user may write; its patterns (`*_pattern`, `*_patterns` in `[data]` and
`[settings]`) are compiled by google-re2, whose matching time grows linearly with the input
whatever the pattern (`^(a+)+$` on any text is instantaneous). A pattern RE2 cannot run
(backreferences, lookaround) is refused when the pack is loaded, with the reason.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

MAX_PATTERN_MEMORY = 8 << 20  # bytes RE2 may use for one compiled pattern


class UnsafePattern(ValueError):
    """A pattern the safe engine refuses; the message says why."""


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # the reason is in the exception, not on stderr
    options.max_mem = MAX_PATTERN_MEMORY
    return options


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Any:
    """The pattern compiled by RE2 (match, fullmatch, search, named groups as in `re`), once per process."""
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise UnsafePattern(reason) from None


def pattern_fields(table: Any, where: str = "") -> list[tuple[str, str]]:
    """(location, pattern) for every `*_pattern` string and `*_patterns` list in a pack table, at any depth."""
    found: list[tuple[str, str]] = []
    stack = [(table, where)]
    while stack:
        value, at = stack.pop()
        if not isinstance(value, dict):
            continue
        for key, item in value.items():
            here = f"{at}.{key}" if at else str(key)
            if key.endswith("_pattern") and isinstance(item, str):
                found.append((here, item))
            elif key.endswith("_patterns") and isinstance(item, list):
                found.extend((f"{here}[{i + 1}]", p) for i, p in enumerate(item) if isinstance(p, str))
            elif isinstance(item, dict):
                stack.append((item, here))
    return found
