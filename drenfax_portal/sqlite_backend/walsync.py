"""Syncs a database's write-ahead log to disk and checkpoints it in the background, outside
the writer lock.

With `synchronous=NORMAL` SQLite writes WAL frames at commit without syncing them. Every 1000
frames the committing connection checkpoints, inside its write transaction's lock: it syncs
the WAL (everything written since the last checkpoint, 4 MB), copies the frames into the
database file and syncs that, while every other writer waits. A new fax from a webhook writes
about 35 pages (the fax's indexes and search index, its event, the delivery), so every 30th
webhook held the lock for ~15 ms of disk writes; a sync page of 500 new faxes writes 1,500
pages, so every page's commit checkpointed, 60 ms of its 70.

Here a thread of each process syncs the WAL soon after its commits (at most every
`INTERVAL`), and checkpoints it (at most every `CHECKPOINT_INTERVAL`) through a connection
of its own: a PASSIVE checkpoint takes no writer lock, so the writers go on meanwhile. The
portal's connections checkpoint themselves only past `WRITER_CHECKPOINT_PAGES` frames, a
backstop for when writers never pause long enough for a background checkpoint to finish
(SQLite starts the WAL over only after a checkpoint has copied all of it). Durability is what
it was: SQLite still syncs what it would have synced.

A process that forks without exec after its first commit may copy this thread's SQLite state
mid-call: its child's first SQLite call could wait forever. The portal's processes fork only
before (gunicorn's workers) or exec (the runner's subprocesses).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

INTERVAL = 0.02  # seconds between syncs of the same process at most
CHECKPOINT_INTERVAL = 0.1  # seconds between checkpoints of a database by the same process
WRITER_CHECKPOINT_PAGES = 10_000  # a portal connection's own checkpoint threshold (40 MB)


class WalSyncer:
    def __init__(self) -> None:
        self.syncs = 0  # how many syncs were made (for tests)
        self.checkpoints = 0  # how many checkpoints were made (for tests)
        self._forget()
        # A forked child has none of the parent's threads, and may have copied the lock held.
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._due: set[str] = set()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def committed(self, database: str) -> None:
        """Note that this process committed to `database` (a file path)."""
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, args=(self._cond,), name="sqlite-wal-sync", daemon=True
                )
                self._thread.start()
            if database not in self._due:
                self._due.add(database)
                self._cond.notify()

    def _run(self, cond: threading.Condition) -> None:
        checkpointed: dict[str, float] = {}
        unchecked: set[str] = set()  # committed to since this thread last checkpointed them
        while True:
            with cond:
                while not self._due and not unchecked:
                    cond.wait()
                due, self._due = self._due, set()
            for database in due:
                self._sync(f"{database}-wal")
            unchecked |= due
            now = time.monotonic()
            for database in list(unchecked):
                if now - checkpointed.get(database, -CHECKPOINT_INTERVAL) >= CHECKPOINT_INTERVAL:
                    unchecked.discard(database)
                    checkpointed[database] = now
                    self._checkpoint(database)
            time.sleep(INTERVAL)

    def _checkpoint(self, database: str) -> None:
        """Copy the WAL's frames into the database file without the writer lock (PASSIVE)."""
        try:
            # mode=rw: a database that is gone is not created again.
            uri = f"{Path(os.path.abspath(database)).as_uri()}?mode=rw"
            db = sqlite3.connect(uri, uri=True, timeout=0, isolation_level=None)
        except sqlite3.Error:
            return
        try:
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self.checkpoints += 1
        except sqlite3.Error:
            pass  # busy: another process is checkpointing it
        finally:
            db.close()

    def _sync(self, path: str) -> None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:  # no WAL now (checkpointed and removed, or another journal mode)
            return
        try:
            os.fsync(fd)
            self.syncs += 1
        except OSError:
            pass  # SQLite's own sync at the checkpoint reports a failing disk
        finally:
            os.close(fd)


wal_syncer = WalSyncer()
