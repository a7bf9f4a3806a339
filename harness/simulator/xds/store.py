"""The simulator's registry and repository: one embedded SQLite database (in memory by default, or a file).

One lock serialises the transactions: a submission's checks that read the store (duplicate uniqueId, replaced
entry) and its writes happen together, and a failed submission writes nothing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    entry_uuid TEXT PRIMARY KEY, lid TEXT NOT NULL, version INTEGER NOT NULL, unique_id TEXT NOT NULL,
    patient_id TEXT NOT NULL, status TEXT NOT NULL, hash TEXT NOT NULL, size INTEGER NOT NULL, mime_type TEXT NOT NULL,
    metadata BLOB NOT NULL, seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_patient ON entries (patient_id, status);
CREATE INDEX IF NOT EXISTS entries_unique ON entries (unique_id);
CREATE TABLE IF NOT EXISTS documents (unique_id TEXT PRIMARY KEY, content BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS submission_sets (unique_id TEXT PRIMARY KEY, patient_id TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Entry:
    entry_uuid: str
    lid: str
    version: int
    unique_id: str
    patient_id: str
    status: str
    hash: str
    size: int
    mime_type: str
    metadata: bytes


class Store:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False, isolation_level=None)
        self._db.executescript(SCHEMA)
        self._seq: int = int(self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM entries").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The store, locked, in one transaction: committed when the block ends normally, rolled back on an exception."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- reads (callers hold the lock through transaction(), or read without one) ---------------------------

    def _entries(self, where: str, args: tuple[object, ...], order: str = "seq") -> list[Entry]:
        with self._lock:
            rows = self._db.execute(f"SELECT entry_uuid, lid, version, unique_id, patient_id, status, hash, size, mime_type, metadata "
                                    f"FROM entries WHERE {where} ORDER BY {order}", args).fetchall()
        return [Entry(*row) for row in rows]

    def entry(self, entry_uuid: str) -> Entry | None:
        found = self._entries("entry_uuid = ?", (entry_uuid,))
        return found[0] if found else None

    def by_unique_id(self, unique_id: str) -> list[Entry]:
        return self._entries("unique_id = ?", (unique_id,))

    def latest(self, lid: str) -> Entry | None:
        found = self._entries("lid = ?", (lid,), order="version DESC")
        return found[0] if found else None

    def for_patient(self, patient_id: str, statuses: list[str]) -> list[Entry]:
        marks = ",".join("?" * len(statuses))
        return self._entries(f"patient_id = ? AND status IN ({marks})", (patient_id, *statuses))

    def document(self, unique_id: str) -> bytes | None:
        with self._lock:
            row = self._db.execute("SELECT content FROM documents WHERE unique_id = ?", (unique_id,)).fetchone()
        return row[0] if row else None

    def set_known(self, unique_id: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM submission_sets WHERE unique_id = ?", (unique_id,)).fetchone() is not None

    def counts(self) -> dict[str, int]:
        """How many entries, documents and submission sets are stored (tests: nothing stored on error)."""
        with self._lock:
            return {table: self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                    for table in ("entries", "documents", "submission_sets")}
