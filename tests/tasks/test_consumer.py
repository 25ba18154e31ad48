"""A real Huey consumer (`manage.py run_huey`) in another process, on the task store the
portal is configured with: an SQLite file by default, Redis on CI's Redis lane (TASKS_URL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from huey.storage import RedisExpireStorage, SqliteStorage

from faxes.models import Fax
from faxes.tasks import sync_requested
from tests.conftest import history_calls

BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def store(tasks, tmp_path, settings):
    """The consumer's task store, shared with this test's enqueues; empty at the start."""
    if settings.TASKS_URL:
        storage = RedisExpireStorage(tasks.huey.name, url=settings.TASKS_URL)
    else:
        storage = SqliteStorage(tasks.huey.name, filename=str(tmp_path / "tasks.sqlite3"))
    storage.flush_all()
    tasks.huey.storage = storage
    yield storage
    storage.flush_all()


@pytest.fixture
def consumers(sandbox, tmp_path, settings):
    """Start consumers (`start(n)`); all are stopped at the end of the test."""
    started: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "PORTAL_VAR_DIR": str(tmp_path),
        "DATABASE_URL": database_url(),
        "DRENFAX_API_URL": sandbox.url,
        "DRENFAX_API_KEY": sandbox.api_key,
        "DRENFAX_ACCOUNT_ID": sandbox.account_id,
        "DRENFAX_WEBHOOK_AUTH": settings.DRENFAX_WEBHOOK_AUTH,
        "TASKS_URL": settings.TASKS_URL,
    }

    def start(count: int = 1) -> list[subprocess.Popen[bytes]]:
        for _ in range(count):
            command = [sys.executable, "manage.py", "run_huey", "--no-periodic"]
            started.append(subprocess.Popen(command, cwd=BASE_DIR, env=env))
        return started[-count:]

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_until(predicate, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


def test_a_consumer_runs_the_sync_step_a_request_enqueued(sandbox, store, consumers):
    sandbox.seed(40, days=5)
    consumers(1)
    sync_requested()
    wait_until(lambda: Fax.objects.count() == 40)


def test_two_consumers_share_the_work_one_sync_step_at_a_time(sandbox, store, consumers):
    sandbox.seed(1200, days=20)  # a backfill of three pages
    consumers(2)
    for _ in range(4):  # four Refresh clicks at once
        sync_requested()
    wait_until(lambda: Fax.objects.count() == 1200)
    # Steps that found the lock taken did nothing: each page was fetched once.
    wait_until(lambda: store.queue_size() == 0)
    assert history_calls(sandbox) <= 4
    assert history_calls(sandbox, "429") == 0


def test_a_consumer_that_was_killed_holding_the_sync_lock_does_not_block_the_next(
    sandbox, store, consumers, settings, tasks
):
    if settings.TASKS_LOCKS_EXPIRE:
        pytest.skip("on Redis the lock expires after LOCK_TTL instead")
    tasks.huey.lock_task("sync").acquire()  # left by a consumer killed mid-step
    sandbox.seed(10, days=1)
    consumers(1)  # the embedded store's consumer clears the locks as it starts
    sync_requested()
    wait_until(lambda: Fax.objects.count() == 10)
