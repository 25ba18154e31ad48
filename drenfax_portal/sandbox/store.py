"""The sandbox's state: one SQLite connection (a file, or memory) guarded by one lock.

Every read and write goes through `read()` or `tx()`, which hold the lock, so the threaded
server, the lifecycle engine and the webhook workers never share the connection concurrently.
Writes run inside `BEGIN IMMEDIATE` so a transaction either applies whole or not at all.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS faxes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    is_archived INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    search TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT ',',
    users TEXT NOT NULL DEFAULT ',',
    data TEXT NOT NULL,
    plan TEXT NOT NULL DEFAULT '{}',
    next_event_at REAL
);
CREATE INDEX IF NOT EXISTS faxes_history ON faxes (account_id, deleted, created_at, seq);
CREATE INDEX IF NOT EXISTS faxes_due ON faxes (next_event_at) WHERE next_event_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS documents (
    message_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    filename TEXT NOT NULL,
    kind TEXT NOT NULL,
    pages INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (message_id, ordinal)
);
CREATE TABLE IF NOT EXISTS blobs (
    sha256 TEXT PRIMARY KEY,
    content BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS numbers (
    uuid TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    managed_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    pending_until REAL,
    storage TEXT,
    users TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS searches (
    account_id TEXT NOT NULL,
    number TEXT NOT NULL,
    searched_at REAL NOT NULL,
    PRIMARY KEY (account_id, number)
);
"""


class Store:
    """SQLite state. `path=None` keeps everything in memory for the life of the process."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = str(path) if path else ":memory:"
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=30
        )
        self._conn.row_factory = sqlite3.Row
        if path:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store lock across several steps (it is re-entrant)."""
        with self._lock:
            yield

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def get_meta(self, key: str) -> str | None:
        with self.read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.tx() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def close(self) -> None:
        with self._lock:
            self._conn.close()
