"""The background sync of SQLite's write-ahead log (drenfax_portal/sqlite_backend/walsync)."""

from __future__ import annotations

import os
import time

from drenfax_portal.sqlite_backend.walsync import WalSyncer
from tests.waiting import wait_until


def test_the_log_of_a_database_is_synced_after_a_commit(tmp_path, monkeypatch):
    database = tmp_path / "db.sqlite3"
    (tmp_path / "db.sqlite3-wal").write_bytes(b"frames")
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    syncer = WalSyncer()
    syncer.committed(str(database))
    assert wait_until(lambda: syncer.syncs == 1)
    assert synced == [f"{database}-wal"]


def test_commits_in_quick_succession_share_a_sync(tmp_path):
    database = tmp_path / "db.sqlite3"
    (tmp_path / "db.sqlite3-wal").write_bytes(b"frames")
    syncer = WalSyncer()
    for _ in range(50):
        syncer.committed(str(database))
    assert wait_until(lambda: syncer.syncs >= 1)
    time.sleep(0.1)
    assert syncer.syncs <= 3


def test_a_database_without_a_log_is_left_alone(tmp_path):
    syncer = WalSyncer()
    syncer.committed(str(tmp_path / "gone.sqlite3"))
    time.sleep(0.1)
    assert syncer.syncs == 0
    (tmp_path / "db.sqlite3-wal").write_bytes(b"frames")
    syncer.committed(str(tmp_path / "db.sqlite3"))  # the thread carries on
    assert wait_until(lambda: syncer.syncs == 1)


def test_a_forked_child_gets_a_thread_of_its_own(tmp_path):
    database = tmp_path / "db.sqlite3"
    (tmp_path / "db.sqlite3-wal").write_bytes(b"frames")
    syncer = WalSyncer()
    syncer.committed(str(database))
    assert wait_until(lambda: syncer.syncs == 1)
    pid = os.fork()
    if pid == 0:  # the child: threads do not survive a fork
        syncer.committed(str(database))
        try:
            wait_until(lambda: syncer.syncs == 2, timeout=5)
        except BaseException:  # pytest.fail: this process only reports through its exit code
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
