"""On SQLite, write transactions queue on a file lock instead of SQLite's sleeping retries."""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import shutil
import sqlite3
import threading
import time

import pytest
from django.db import OperationalError, connection, connections, transaction

from faxes.models import SyncState
from tests.waiting import wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite only"),
]


def lock_path() -> str:
    return f"{connection.settings_dict['NAME']}.writelock"


def free_now() -> bool:
    """Whether another process could take the write lock at once."""
    fd = os.open(lock_path(), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


def test_a_transaction_holds_the_lock_until_it_commits():
    with transaction.atomic():
        SyncState.objects.create(key="a")
        assert not free_now()
    assert free_now()


def test_a_failed_transaction_lets_go_of_the_lock():
    with pytest.raises(RuntimeError), transaction.atomic():
        SyncState.objects.create(key="a")
        raise RuntimeError("the work failed")
    assert free_now()
    assert not SyncState.objects.exists()


def test_a_second_writer_starts_as_soon_as_the_first_commits():
    first_in, release = threading.Event(), threading.Event()
    times: dict[str, float] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                SyncState.objects.create(key="first")
                first_in.set()
                release.wait(5)
            times["first committed"] = time.monotonic()
        finally:
            connections.close_all()

    def second() -> None:
        try:
            first_in.wait(5)
            with transaction.atomic():
                times["second began"] = time.monotonic()
                SyncState.objects.create(key="second")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_in.wait(5)
    time.sleep(0.2)  # the second writer is waiting by now
    assert "second began" not in times
    release.set()
    for thread in threads:
        thread.join(10)
    assert set(SyncState.objects.values_list("key", flat=True)) == {"first", "second"}
    # It followed within a few milliseconds, not after one of SQLite's 25-100 ms sleeps.
    assert 0 <= times["second began"] - times["first committed"] < 0.05


def test_a_writer_that_cannot_get_the_lock_in_time_fails_as_sqlite_would(monkeypatch):
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.2)
    fd = os.open(lock_path(), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process, as far as the lock can tell
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"), transaction.atomic():
            SyncState.objects.create(key="a")
        assert 0.2 <= time.monotonic() - started < 2
    finally:
        os.close(fd)
    with transaction.atomic():
        SyncState.objects.create(key="a")
    assert SyncState.objects.filter(key="a").exists()


def test_a_connection_dropped_without_closing_leaves_no_open_lock_file():
    def open_lock_files() -> list[str]:
        found = []
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):  # the directory's own descriptor is gone
                found.append(os.readlink(f"/proc/self/fd/{fd}"))
        return [path for path in found if path.endswith(".writelock")]

    def write(n: int) -> None:
        # The thread ends without closing its connection, as some servers' threads do.
        with transaction.atomic():
            SyncState.objects.create(key=f"thread {n}")

    before = open_lock_files()
    for n in range(5):
        thread = threading.Thread(target=write, args=(n,))
        thread.start()
        thread.join()
    gc.collect()
    assert SyncState.objects.count() == 5
    assert open_lock_files() == before


def test_a_write_outside_a_transaction_queues_on_the_lock_and_a_read_does_not(monkeypatch):
    SyncState.objects.create(key="a")
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.2)
    fd = os.open(lock_path(), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another writer holds it
    try:
        assert SyncState.objects.filter(key="a").exists()
        with pytest.raises(OperationalError, match="database is locked"):
            SyncState.objects.filter(key="a").update(backfill_done=True)
    finally:
        os.close(fd)
    SyncState.objects.filter(key="a").update(backfill_done=True)
    assert SyncState.objects.get(key="a").backfill_done
    assert free_now()


def test_the_lock_file_has_the_database_files_permissions():
    connection.close()
    os.unlink(lock_path())
    with transaction.atomic():
        SyncState.objects.create(key="a")
    database_mode = os.stat(connection.settings_dict["NAME"]).st_mode & 0o777
    assert os.stat(lock_path()).st_mode & 0o777 == database_mode & 0o666


def test_a_commit_has_the_write_ahead_log_synced_in_the_background():
    from drenfax_portal.sqlite_backend.walsync import wal_syncer

    before = wal_syncer.syncs
    with transaction.atomic():
        SyncState.objects.create(key="a")
    assert wait_until(lambda: wal_syncer.syncs > before, timeout=5)


def test_a_commit_reaches_the_database_file_through_a_background_checkpoint(tmp_path):
    from drenfax_portal.sqlite_backend.walsync import WRITER_CHECKPOINT_PAGES

    with transaction.atomic():
        SyncState.objects.create(key="checkpointed")
    with connection.cursor() as cursor:  # the writer itself leaves small logs alone
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == WRITER_CHECKPOINT_PAGES

    def in_the_file_alone() -> list:
        """The rows the database file holds without its log (as a crash that lost the log
        would leave it)."""
        alone = tmp_path / "alone.sqlite3"
        shutil.copyfile(connection.settings_dict["NAME"], alone)
        copy = sqlite3.connect(alone)
        try:
            return copy.execute("SELECT key FROM faxes_syncstate").fetchall()
        except sqlite3.OperationalError:  # not even the table yet
            return []
        finally:
            copy.close()

    assert wait_until(lambda: in_the_file_alone() == [("checkpointed",)], timeout=5)


def test_a_rolled_back_transaction_syncs_nothing(monkeypatch):
    from drenfax_portal.sqlite_backend.walsync import wal_syncer

    noted: list[str] = []
    monkeypatch.setattr(wal_syncer, "committed", noted.append)
    with pytest.raises(RuntimeError), transaction.atomic():
        SyncState.objects.create(key="a")
        raise RuntimeError("the work failed")
    assert noted == []
    SyncState.objects.create(key="b")  # a write outside a transaction commits at once
    assert noted == [connection.settings_dict["NAME"]]
