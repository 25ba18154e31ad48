"""Django's SQLite backend, with write transactions queued on a file lock.

Every transaction the portal opens on SQLite is `BEGIN IMMEDIATE` (see settings), so it takes
the database's one write lock at once. When another process holds that lock, SQLite's busy
handler retries after sleeping 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms: with
concurrent writers (two gunicorn workers taking webhooks, the sync worker) a writer slept on
long after the lock was free, and a process that kept writing could starve the others
(a webhook's p99 was over 100 ms with two workers).

Here a transaction first takes an exclusive `flock` on `<database>.writelock`, waiting in
steps of at most a millisecond, so writers follow each other closely; the database's own
lock is then free. A write statement outside a transaction (an `update()` in autocommit)
takes the same lock for its duration, so it queues with the others instead of looking for a
gap between them. The wait is bounded by the same `timeout` as SQLite's, after which it fails
as SQLite would ("database is locked"). In-memory databases, which only one process can see,
take no file lock. As with any database connection, close connections before forking.

After each commit the process's `walsync` thread syncs and checkpoints the write-ahead log in
the background, instead of the committing writer inside its lock.
"""

from __future__ import annotations

import fcntl
import os
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import OperationalError
from django.db.backends.sqlite3 import base

from .walsync import WRITER_CHECKPOINT_PAGES, wal_syncer

_LONGEST_SLEEP = 0.001
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class _CursorWrapper(base.SQLiteCursorWrapper):
    """Takes the writer lock around a write statement run outside a transaction."""

    db: DatabaseWrapper

    def execute(self, query, params=None):
        if self.db._lock_held or not _is_write(query):
            return super().execute(query, params)
        with self.db._writes_locked():
            return super().execute(query, params)

    def executemany(self, query, param_list):
        if self.db._lock_held or not _is_write(query):
            return super().executemany(query, param_list)
        with self.db._writes_locked():
            return super().executemany(query, param_list)


def _is_write(query: str) -> bool:
    return query.lstrip()[:7].upper().startswith(_WRITES)


class DatabaseWrapper(base.DatabaseWrapper):
    _lock_fd: int | None = None
    _lock_held = False

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():  # checkpointed by walsync; this is the backstop
            connection.execute(f"PRAGMA wal_autocheckpoint={WRITER_CHECKPOINT_PAGES}")
        return connection

    def create_cursor(self, name=None):
        cursor = self.connection.cursor(factory=_CursorWrapper)
        cursor.db = self
        return cursor

    @contextmanager
    def _writes_locked(self) -> Iterator[None]:
        self._lock_writes()
        try:
            yield
        finally:
            self._unlock_writes()
        self._committed()

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
        self._committed()

    def _committed(self) -> None:
        if not self.is_in_memory_db():
            wal_syncer.committed(self.settings_dict["NAME"])

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
            database = self.settings_dict["NAME"]
            try:
                # The database's own permissions, as SQLite gives its -wal and -shm files:
                # every process that may write the database may take the lock.
                mode = os.stat(database).st_mode & 0o666
            except OSError:
                mode = 0o644
            try:
                self._lock_fd = os.open(
                    f"{database}.writelock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, mode
                )
            except OSError as exc:
                raise OperationalError(f"cannot open the database's writer lock: {exc}") from exc
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
