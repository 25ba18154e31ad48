"""Django's SQLite backend, with write transactions queued on a file lock.

Every transaction the portal opens on SQLite is `BEGIN IMMEDIATE` (see settings), so it takes
the database's one write lock at once. When another process holds that lock, SQLite's busy
handler retries after sleeping 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms: with
concurrent writers (two gunicorn workers taking webhooks, the sync worker) a writer slept on
long after the lock was free, and a process that kept writing could starve the others
(a webhook's p99 was over 100 ms with two workers).

Here a transaction first takes an exclusive `flock` on `<database>.writelock`, waiting in
steps of at most a millisecond, so writers follow each other closely; the database's own
lock is then free. The wait is bounded by the same `timeout` as SQLite's, after which it
fails as SQLite would ("database is locked"). A statement outside a transaction does not take
the file lock and waits in SQLite's busy handler as before. In-memory databases, which only
one process can see, take no file lock.
"""

from __future__ import annotations

import fcntl
import os
import time
import weakref

from django.db import OperationalError
from django.db.backends.sqlite3 import base

_LONGEST_SLEEP = 0.001


class DatabaseWrapper(base.DatabaseWrapper):
    _lock_fd: int | None = None
    _lock_held = False

    def _start_transaction_under_autocommit(self) -> None:
        self._lock_writes()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._unlock_writes()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._unlock_writes()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._unlock_writes()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._unlock_writes()
            if self._lock_fd is not None:
                self._lock_finalizer()  # closes the file, once
                self._lock_fd = None

    def _lock_writes(self) -> None:
        if self.is_in_memory_db():
            return
        if self._lock_fd is None:
            path = f"{self.settings_dict['NAME']}.writelock"
            self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            # A connection dropped with its thread, never closed, must not leak the file.
            self._lock_finalizer = weakref.finalize(self, os.close, self._lock_fd)
        timeout = self.settings_dict["OPTIONS"].get("timeout", 5)
        deadline = time.monotonic() + timeout
        pause = 0.0001
        while True:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OperationalError("database is locked") from None
                time.sleep(pause)
                pause = min(pause * 2, _LONGEST_SLEEP)
            else:
                self._lock_held = True
                return

    def _unlock_writes(self) -> None:
        if self._lock_held:
            self._lock_held = False
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
