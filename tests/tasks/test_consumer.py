"""A real Huey consumer (`manage.py run_huey`) in another process, on the task store the
portal is configured with: an SQLite file by default, Redis on CI's Redis lane (TASKS_URL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
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
def consumers(tmp_path, settings):
    """Start consumers (`start(n)`) with the test's settings at that moment; all are stopped
    at the end of the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start(count: int = 1) -> list[subprocess.Popen[bytes]]:
        env = {
            **os.environ,
            "PORTAL_VAR_DIR": str(tmp_path),
            "FAX_DOCUMENTS_DIR": str(settings.FAX_DOCUMENTS_DIR),
            "DATABASE_URL": database_url(),
            "DRENFAX_API_URL": settings.DRENFAX_API_URL,
            "DRENFAX_API_KEY": settings.DRENFAX_API_KEY,
            "DRENFAX_ACCOUNT_ID": settings.DRENFAX_ACCOUNT_ID,
            "DRENFAX_WEBHOOK_AUTH": settings.DRENFAX_WEBHOOK_AUTH,
            "TASKS_URL": settings.TASKS_URL,
        }
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


def test_two_consumers_share_the_work_one_sync_step_at_a_time(sandbox, store, consumers, settings):
    if not settings.TASKS_LOCKS_EXPIRE:
        pytest.skip("the embedded store serves one consumer; several share Redis")
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


def test_a_consumer_killed_while_a_blast_is_on_its_way_never_sends_it_twice(
    store, consumers, alice_client, settings, tmp_path
):
    """Killed once it took the blast (Drenfax got it, the answer is lost): nothing sends it
    again; once stale it is looked up in the provider's history and settled."""
    from drenfax_portal.api import get_client
    from drenfax_portal.sandbox import start_sandbox
    from faxes.models import Submission
    from faxes.services.submissions import reconcile_unknown_submissions, submissions_expire_stale
    from faxes.services.sync import sync_faxes_step
    from faxes.tasks import submission_send
    from tests.blast.test_end_to_end import VALID, blast_calls, reviewed

    settings.FAX_DOCUMENTS_DIR = tmp_path / "documents"
    with start_sandbox(strict=True, speed=50, send_latency=6) as sandbox:
        settings.DRENFAX_API_URL = sandbox.url
        settings.DRENFAX_API_KEY = sandbox.api_key
        settings.DRENFAX_ACCOUNT_ID = sandbox.account_id
        location, form = reviewed(alice_client)
        (first,) = consumers(1)
        alice_client.post(location, form)
        submission = Submission.objects.get()
        wait_until(lambda: Submission.objects.get().state == Submission.State.SUBMITTING)
        time.sleep(0.5)  # the call is on its way
        first.kill()
        first.wait()
        consumers(1)
        submission_send(submission.pk)  # its task delivered again, to the new consumer
        wait_until(lambda: store.queue_size() == 0)
        time.sleep(1)
        assert Submission.objects.get().state == Submission.State.SUBMITTING

        later = submission.created_at + timedelta(minutes=11)
        assert submissions_expire_stale(now=later) == 1
        with get_client() as client:
            sync_faxes_step(client=client, account_id=sandbox.account_id)
            reconcile_unknown_submissions(client=client, account_id=sandbox.account_id)
        assert Submission.objects.get().state == Submission.State.DONE
        # The provider made each recipient's fax once (the call in flight is not counted
        # among its answered calls: its answer never went out).
        assert Fax.objects.filter(fax_number__in=VALID).count() == len(VALID)
        assert blast_calls(sandbox) == 0
