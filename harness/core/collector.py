"""How long batches (`validate` over many files, a run over many documents) tune Python's cyclic garbage collector.

A document's objects are freed by their reference counts; each young collection only walked them again (about 5 % of
the CPU of a batch, measured). Young collections therefore run every YOUNG_THRESHOLD allocations instead of 700.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 10_000  # allocations between two young collections during a batch (Python's default: 700)


def raise_young_threshold() -> tuple[int, int, int]:
    """Young collections every YOUNG_THRESHOLD allocations (or more, if already set so); returns the threshold before."""
    before = gc.get_threshold()
    gc.set_threshold(max(YOUNG_THRESHOLD, before[0]), *before[1:])
    return before


@contextmanager
def fewer_young_collections() -> Iterator[None]:
    """raise_young_threshold() for the time of a block, the threshold restored after it."""
    before = raise_young_threshold()
    try:
        yield
    finally:
        gc.set_threshold(*before)
