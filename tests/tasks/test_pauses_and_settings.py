"""The provider's pause for PDF downloads, settings that would break every task, a backfill
while faxes are deleted."""

from __future__ import annotations

import pytest
from django.utils import timezone

from drenfax_portal.client import RateLimitedError
from faxes.models import RateLimitBucket
from faxes.services.pdf_fetch import fetch_wanted_pdfs
from tests.webhooks.test_pdf_fetch import FakeClient, wanted_fax

pytestmark = pytest.mark.django_db


def test_a_429_with_retry_after_pauses_every_pdf_fetch_not_only_that_faxs():
    """API-NOTES: 'honour 429 and Retry-After everywhere'. After the provider said 'retry in
    900 s', the next round (pdfs_periodic 5 minutes later, or the `pdf_wanted` task of the
    next inbound fax, seconds later) must not call the download endpoint again."""
    wanted_fax(), wanted_fax()
    limited = FakeClient(
        error=RateLimitedError("Too Many Requests", retry_after=900, status_code=429)
    )
    assert fetch_wanted_pdfs(client=limited) == 0
    assert len(limited.calls) == 1

    # The next round, well inside the 900 s the provider asked for.
    later = FakeClient()
    fetch_wanted_pdfs(client=later)
    assert later.calls == [], f"downloaded {later.calls} during the provider's Retry-After"


def test_the_per_fax_pdf_task_also_waits_out_a_429():
    """`pdf_wanted(pk)` runs for each inbound webhook: after a 429 on one fax, the next
    fax's task downloads at once (seconds later), ignoring the provider's Retry-After."""
    first, second = wanted_fax(), wanted_fax()
    limited = FakeClient(
        error=RateLimitedError("Too Many Requests", retry_after=900, status_code=429)
    )
    fetch_wanted_pdfs(client=limited, pk=first.pk)
    later = FakeClient()
    fetch_wanted_pdfs(client=later, pk=second.pk)
    assert later.calls == [], "the next fax's task called the API inside Retry-After"
    RateLimitBucket.objects.update(blocked_until=timezone.now())  # the pause is over
    assert fetch_wanted_pdfs(client=later, pk=second.pk) == 1


# --- settings from the environment ---------------------------------------------------------


@pytest.mark.parametrize("value", ["0/60", "8/0", "-3/60"])
def test_an_unusable_history_rate_is_refused_at_start(value):
    """`_rate` accepts any int/float pair; DatabaseRateLimiter refuses rate < 1 or per <= 0
    with a ValueError, but only when the first sync step runs (every minute, forever)."""
    from tests.portal.test_settings import run_manage

    result = run_manage("check", DRENFAX_HISTORY_RATE=value)
    assert result.returncode != 0, f"DRENFAX_HISTORY_RATE={value} was accepted"
    assert "DRENFAX_HISTORY_RATE" in result.stderr


@pytest.mark.parametrize(
    "name", ["EMAIL_TIMEOUT", "DRENFAX_READ_TIMEOUT", "DRENFAX_CONNECT_TIMEOUT"]
)
def test_a_zero_timeout_is_refused_at_start(name):
    """A zero timeout (commonly meant as 'no timeout') is accepted, then every SMTP send
    ('Non-blocking socket (timeout=0) is not supported') or every API call ('Invalid
    timeout') raises ValueError: no notification and no sync ever works."""
    from tests.portal.test_settings import run_manage

    result = run_manage("check", **{name: "0"})
    assert result.returncode != 0, f"{name}=0 was accepted"


# --- the sync's backfill -------------------------------------------------------------------


@pytest.mark.django_db
def test_faxes_deleted_during_a_backfill_do_not_make_it_skip_others(sandbox):
    """The backfill pages the newest-first history by offset and saves the offset. Faxes
    deleted meanwhile (from the portal's Delete button, or at Drenfax) among the pages
    already read shift every older fax up: the next page starts that many rows too far, and
    those faxes are never fetched (the increments only read back a day)."""
    from drenfax_portal.api import get_client
    from faxes.models import Fax
    from faxes.services.sync import sync_faxes_step

    sandbox.seed(1234, days=20)
    with get_client() as client:
        first = sync_faxes_step(client=client, account_id=sandbox.account_id, max_calls=1)
        assert first.calls == 1 and not first.backfill_done
        assert Fax.objects.count() == 500
        for message_id in Fax.objects.values_list("message_id", flat=True)[:10]:
            client.delete_fax(str(message_id))
        rest = sync_faxes_step(client=client, account_id=sandbox.account_id)
    assert rest.backfill_done and not rest.error
    # Every fax the provider has was fetched (plus the 10 deleted ones cached before).
    assert Fax.objects.count() == 1234, f"{1234 - Fax.objects.count()} faxes never fetched"
