"""The fax sync against the sandbox: backfill, increments, rate limits, reconciling."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from drenfax_portal.api import get_client
from faxes.models import Fax, RateLimitBucket, RateLimitToken, SyncState
from faxes.services.cache import fax_merge_payloads
from faxes.services.sync import reconcile_open_faxes, sync_faxes_step, sync_numbers
from tests.conftest import ACCOUNT_ID, API_URL, history_calls
from tests.factories import fax_payload

BASE_DIR = Path(__file__).resolve().parents[2]


def step(sandbox, **kwargs):
    with get_client() as client:
        return sync_faxes_step(client=client, account_id=sandbox.account_id, **kwargs)


@pytest.mark.django_db
def test_a_backfill_uses_one_history_call_per_500_faxes(sandbox):
    sandbox.seed(1234, days=20)
    report = step(sandbox)
    assert report.calls == 3 == history_calls(sandbox)
    assert report.backfill_done and not report.error
    assert Fax.objects.count() == 1234
    assert SyncState.objects.get().backfill_done


@pytest.mark.django_db
def test_an_interrupted_backfill_resumes_without_refetching(sandbox):
    sandbox.seed(1234, days=20)
    first = step(sandbox, max_calls=1)
    assert first.calls == 1 and not first.backfill_done
    assert Fax.objects.count() == 500
    second = step(sandbox)
    assert second.calls == 2 and second.backfill_done
    assert history_calls(sandbox) == 3
    assert Fax.objects.count() == 1234


@pytest.mark.django_db
def test_a_page_that_fails_once_is_fetched_again_and_the_backfill_goes_on(sandbox):
    sandbox.seed(1234, days=20)
    sandbox.add_fault(endpoint="GET /v1/fax/history", fault="503", count=1)
    report = step(sandbox)
    assert report.backfill_done and not report.error
    assert history_calls(sandbox, "503") == 1 and history_calls(sandbox, "200") == 3
    assert Fax.objects.count() == 1234


@pytest.mark.django_db
def test_a_step_makes_no_more_calls_than_it_is_given(sandbox):
    sandbox.seed(3000, days=20)
    report = step(sandbox, max_calls=2)
    assert report.calls == 2 == history_calls(sandbox) == RateLimitToken.objects.count()
    assert Fax.objects.count() == 1000


@pytest.mark.django_db
def test_a_backfill_stops_without_a_free_token_and_says_when_to_go_on(sandbox, settings):
    settings.DRENFAX_HISTORY_RATE = (1, 60.0)
    sandbox.seed(1234, days=20)
    report = step(sandbox)
    # The one token went to the first page; the second waits for the next step.
    assert report.calls == 1 and report.retry_after > 0 and not report.error
    assert history_calls(sandbox) == 1 == RateLimitToken.objects.count()
    assert Fax.objects.count() == 500


@pytest.mark.django_db
def test_a_second_run_fetches_only_the_new_page(sandbox):
    sandbox.seed(700, days=5)
    step(sandbox)
    sandbox.reset_stats()
    new = sandbox.inbound(pages=2)
    report = step(sandbox)
    assert report.calls == 1 == history_calls(sandbox)
    assert report.created == 1
    assert Fax.objects.filter(message_id=new["messageId"]).exists()


@pytest.mark.django_db
def test_an_increment_cut_short_goes_on_where_it_stopped(sandbox):
    sandbox.seed(10, days=1)
    step(sandbox)
    sandbox.advance(3 * 86_400)
    sandbox.seed(1200, days=1)  # newer than every cached fax, and no webhook brought them
    first = step(sandbox, max_calls=1)
    assert first.calls == 1 and Fax.objects.count() == 510
    sandbox.reset_stats()
    second = step(sandbox)  # its first page is all known: not a reason to stop this time
    assert Fax.objects.count() == 1210
    assert second.calls == 2 == history_calls(sandbox)
    state = SyncState.objects.get()
    assert state.walk_offset == 0 and state.walk_newest is None
    sandbox.reset_stats()
    assert step(sandbox).calls == 1  # and the next increment stops at its first known page


@pytest.mark.django_db
def test_a_429_from_the_provider_is_waited_out(sandbox):
    sandbox.seed(10, days=1)
    sandbox.add_fault(endpoint="GET /v1/fax/history", fault="429", count=1, retry_after=1)
    report = step(sandbox)
    assert not report.error
    assert Fax.objects.count() == 10
    assert history_calls(sandbox, "429") == 1 and history_calls(sandbox, "200") == 1


@pytest.mark.django_db
def test_a_persistent_429_pauses_every_process(sandbox):
    sandbox.add_fault(endpoint="GET /v1/fax/history", fault="429", count=10, retry_after=120)
    report = step(sandbox)
    assert report.retry_after >= 100 and not report.error
    bucket = RateLimitBucket.objects.get(key=sandbox.account_id)
    assert bucket.blocked_until > timezone.now() + timedelta(seconds=100)
    # The next step does not call the provider until the pause is over.
    calls = history_calls(sandbox)
    again = step(sandbox)
    assert again.retry_after > 0 and history_calls(sandbox) == calls


@pytest.fixture
def busy_window(settings, request):
    """A sandbox whose fixed history window another client has used up (a day long, so
    that it does not reset while the test runs)."""
    from drenfax_portal.sandbox import start_sandbox

    with start_sandbox(
        strict=True, speed=50, history_rate="2/86400", retry_after=request.param
    ) as sandbox:
        settings.DRENFAX_API_URL = sandbox.url
        settings.DRENFAX_API_KEY = sandbox.api_key
        settings.DRENFAX_ACCOUNT_ID = sandbox.account_id
        for _ in range(2):  # the provider's own web app, say
            assert sandbox.request("GET", "/v1/fax/history").status_code == 200
        yield sandbox


@pytest.mark.django_db
@pytest.mark.parametrize(
    "busy_window", [True, False], indirect=True, ids=["retry-after", "no-retry-after"]
)
def test_a_used_up_window_pauses_the_sync_without_a_retry_loop(busy_window):
    report = step(busy_window)
    assert not report.error and report.retry_after > 1
    if busy_window.info()["retryAfter"] is False:
        assert report.retry_after == 60  # a whole window: when it resets is not said
    # Steps that follow, as a worker would run them, call the provider no more.
    for _ in range(5):
        assert step(busy_window).retry_after > 0
    assert history_calls(busy_window, "429") == 1


@pytest.mark.django_db
def test_stale_history_rows_never_regress_a_terminal_fax(api):
    done = fax_payload(status="success", pagesComplete=3, createdAt="2026-11-20T10:00:00Z")
    fax_merge_payloads([done], source="webhook")
    SyncState.objects.create(key=f"faxes:{ACCOUNT_ID}", backfill_done=True)
    stale = {**done, "status": "processing", "pagesComplete": 1}
    api.get(f"{API_URL}/v1/fax/history", json={"count": "1", "rows": [stale]})
    with get_client() as client:
        report = sync_faxes_step(client=client, account_id=ACCOUNT_ID)
    assert report.calls == 1 and not report.error
    fax = Fax.objects.get(message_id=done["messageId"])
    assert fax.status == "success" and fax.pages_complete == 3


@pytest.mark.django_db
def test_open_faxes_are_reconciled_when_no_webhook_came(sandbox):
    with get_client() as client:
        sent = client.send_fax("+12065550123", cover_page=True, subject="Reconcile me")
        fax_merge_payloads([sent.raw], source="portal")
        sandbox.wait_for_fax(sent.message_id)
        Fax.objects.update(updated_at=timezone.now() - timedelta(minutes=5))
        assert reconcile_open_faxes(client=client) == 1
    fax = Fax.objects.get(message_id=sent.message_id)
    assert fax.status == "success"
    assert fax.events.filter(source="sync", status="success").exists()


@pytest.mark.django_db
def test_a_fax_deleted_at_the_provider_is_hidden(sandbox):
    with get_client() as client:
        sent = client.send_fax("+12065550123", cover_page=True)
        fax_merge_payloads([sent.raw], source="portal")
        client.delete_fax(sent.message_id)
        Fax.objects.update(updated_at=timezone.now() - timedelta(minutes=5))
        reconcile_open_faxes(client=client)
    assert Fax.objects.get(message_id=sent.message_id).deleted_at is not None


@pytest.mark.django_db
def test_numbers_sync_caches_the_accounts_numbers(sandbox):
    with get_client() as client:
        assert sync_numbers(client=client) == 3
        numbers = client.list_numbers().rows
    from fax_numbers.models import FaxNumber

    assert {n.uuid for n in numbers} == {
        str(u) for u in FaxNumber.objects.values_list("uuid", flat=True)
    }
    assert all(n.number.startswith("+1") for n in FaxNumber.objects.all())


SYNC_PROCESS = """
import django
django.setup()
import time
from drenfax_portal.api import get_client
from django.conf import settings
from faxes.services.sync import sync_faxes_step
with get_client() as client:
    for _ in range(3):
        report = sync_faxes_step(client=client, account_id=settings.DRENFAX_ACCOUNT_ID, max_calls=2)
        assert not report.error, report.error
        time.sleep(report.retry_after)
"""


@pytest.mark.django_db(transaction=True)
def test_concurrent_sync_processes_never_exceed_the_rate_limit(settings):
    from drenfax_portal.sandbox import start_sandbox

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    with start_sandbox(strict=True, speed=50, history_rate="8/3") as sandbox:
        sandbox.seed(3000, days=10)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DRENFAX_API_URL": sandbox.url,
            "DRENFAX_API_KEY": sandbox.api_key,
            "DRENFAX_ACCOUNT_ID": sandbox.account_id,
            "DRENFAX_HISTORY_RATE": "8/3",
        }
        procs = [
            subprocess.Popen([sys.executable, "-c", SYNC_PROCESS], cwd=BASE_DIR, env=env)
            for _ in range(3)
        ]
        assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
        # More calls than one window allows were made, and the provider refused none.
        assert history_calls(sandbox) > 8
        assert history_calls(sandbox, "429") == 0
