"""Ways a conformance test ends other than pass or fail."""

from __future__ import annotations

import pytest


class Aborted(Exception):
    """The requirement could not be evaluated (unreachable endpoint, unreadable input)."""


class NotApplicable(pytest.skip.Exception):  # type: ignore[misc, name-defined]  # pytest's Skipped, public only as skip.Exception
    """The requirement does not apply to this candidate (e.g. no endpoint of that kind)."""
