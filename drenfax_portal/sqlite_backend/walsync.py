"""Syncs a database's write-ahead log to disk in the background, outside the writer lock.

With `synchronous=NORMAL` SQLite writes WAL frames at commit without syncing them. Every 1000
frames the committing connection checkpoints, inside its write transaction's lock, and the
checkpoint starts by syncing the WAL: everything written since the last checkpoint (4 MB)
goes to disk while every other writer waits. A new fax from a webhook writes about 35 pages
(the fax's indexes and search index, its event, the delivery), so every 30th webhook held the
lock for ~15 ms of disk writes, and under load the CPUs sat idle a fifth of the time.

Here a thread of each process syncs the WAL soon after its commits (at most every
`INTERVAL`), without any lock: the data reaches the disk while the writers go on, and the
checkpoint's own sync finds little left to write. Durability is what it was: these syncs are
extra, SQLite still makes its own.
"""

from __future__ import annotations

import os
import threading
import time

INTERVAL = 0.02  # seconds between syncs of the same process at most


class WalSyncer:
    def __init__(self) -> None:
        self.syncs = 0  # how many syncs were made (for tests)
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
        while True:
            with cond:
                while not self._due:
                    cond.wait()
                due, self._due = self._due, set()
            for database in due:
                self._sync(f"{database}-wal")
            time.sleep(INTERVAL)

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
