"""On SQLite (the embedded default), Django's own backend configured for a small team."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from faxes.models import SyncState

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite only"),
]


def pragma(name: str):
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


def test_sqlite_runs_in_wal_mode_with_normal_sync_and_a_busy_timeout():
    assert connection.settings_dict["ENGINE"] == "django.db.backends.sqlite3"
    assert pragma("journal_mode") == "wal"  # readers never wait for the writer
    assert pragma("synchronous") == 1  # NORMAL: safe in WAL mode, one fsync per checkpoint
    assert pragma("busy_timeout") == 20_000


def test_a_second_writer_waits_for_the_first_and_both_commit():
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
            # IMMEDIATE: the write lock is taken at BEGIN, so the wait is here and a
            # transaction never fails half-way with "database is locked".
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
    assert times["second began"] >= times["first committed"]
