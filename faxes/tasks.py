"""Background work, run by Huey's consumer (`manage.py run_huey`).

Every chore is a task, and each runs one at a time across every consumer (a task lock):
periodic tasks fire on every consumer's scheduler, and a copy that finds the lock taken
does nothing. Requests never call the API for background work: they enqueue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task
from huey.exceptions import TaskLockedException

from drenfax_portal.api import get_client
from drenfax_portal.audit.services import audit_events_purge
from drenfax_portal.notifications.services import notifications_process
from faxes.models import Fax, PdfState, Submission
from faxes.services.blasts import blast_call
from faxes.services.pdf_fetch import fetch_wanted_pdfs
from faxes.services.retention import documents_purge
from faxes.services.sending import send_call
from faxes.services.submissions import (
    reconcile_unknown_submissions,
    submission_run,
    submissions_queued_since,
)
from faxes.services.sync import (
    SyncReport,
    faxes_link_numbers,
    reconcile_open_faxes,
    sync_faxes_step,
    sync_numbers,
)

log = logging.getLogger(__name__)

# A lock outlives a consumer killed while holding it by at most this long (Redis). The
# embedded store cannot expire keys; its single consumer clears its locks when it starts.
LOCK_TTL = 300


def alone(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run the decorated chore only if it gets the lock `name`; otherwise do nothing (None)."""
    # Made at import, so that a consumer knows every lock when it clears them at start.
    lock = HUEY.lock_task(name, ttl=LOCK_TTL if settings.TASKS_LOCKS_EXPIRE else None)

    def decorate(chore: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(chore)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                lock.acquire()
            except TaskLockedException:
                return None
            try:
                return chore(*args, **kwargs)
            finally:
                lock.release()

        return run

    return decorate


@alone("sync")
def sync_step(*, numbers: bool = False) -> SyncReport | None:
    """One sync step (`sync_faxes --once` and the sync tasks); None if one is running."""
    with get_client() as client:
        if numbers:
            sync_numbers(client=client)
        else:
            faxes_link_numbers()  # numbers refreshed from the Numbers page since
        # At most one window's worth of calls, so that the lock is given back in time.
        report = sync_faxes_step(
            client=client,
            account_id=settings.DRENFAX_ACCOUNT_ID,
            max_calls=settings.DRENFAX_HISTORY_RATE[0],
        )
        report.reconciled = reconcile_open_faxes(client=client)
    busy = report.created or report.updated or report.reconciled or report.error
    log.log(logging.INFO if busy else logging.DEBUG, "sync: %s", report)
    if not report.backfill_done and not report.error:
        # A backfill goes on at the pace of the rate limiter.
        sync_requested.schedule(delay=report.retry_after or 1)
    return report


@db_periodic_task(crontab(minute="*"))
def sync_periodic() -> None:
    sync_step()


@db_task()
def sync_requested(numbers: bool = False) -> None:
    """A sync step now (the Refresh button, a backfill going on)."""
    sync_step(numbers=numbers)


@db_periodic_task(crontab(minute="*/5"))
@alone("numbers")
def numbers_periodic() -> None:
    with get_client() as client:
        sync_numbers(client=client)


@db_task()
def submission_send(pk: int) -> None:
    """Make a queued send's one API call (a blast, a long multi-send)."""
    with get_client() as client:
        submission_run(pk, lambda submission: _CALLS[submission.kind](client, submission))


_CALLS = {Submission.Kind.BLAST: blast_call, Submission.Kind.SEND: send_call}


@db_periodic_task(crontab(minute="*"))
@alone("submissions")
def submissions_periodic() -> None:
    """Sends whose outcome is unknown: looked up, never sent again. Queued sends whose task
    was lost (a consumer killed before it ran it) are enqueued again: only one run sends."""
    with get_client() as client:
        reconcile_unknown_submissions(client=client, account_id=settings.DRENFAX_ACCOUNT_ID)
    for pk in submissions_queued_since(timezone.now() - timedelta(minutes=1)):
        submission_send(pk)


@db_task()
def pdf_wanted(fax_pk: int) -> None:
    """An inbound fax's PDF, fetched once its webhook said it came without; tried again at
    the time the fetch set after a failure (1, 2, 4... minutes)."""
    with get_client() as client:
        fetch_wanted_pdfs(client=client, pk=fax_pk)
    retry_at = (
        Fax.objects.filter(pk=fax_pk, pdf_state=PdfState.WANTED, pdf_path="")
        .values_list("pdf_retry_at", flat=True)
        .first()
    )
    if retry_at is not None:
        pdf_wanted.schedule((fax_pk,), eta=retry_at)


@db_periodic_task(crontab(minute="*/5"))
@alone("pdfs")
def pdfs_periodic() -> None:
    """A net under `pdf_wanted`: PDFs still wanted, or taken by a consumer that died."""
    with get_client() as client:
        fetch_wanted_pdfs(client=client)


@db_periodic_task(crontab(minute="*"))
@alone("notifications")
def notifications_periodic() -> None:
    with get_client() as client:
        notified = notifications_process(client=client)
    if notified.enqueued or notified.sent or notified.digests or notified.failed:
        log.info("notifications: %s", notified)


@db_periodic_task(crontab(minute="*/10"))
@alone("purge")
def purge_periodic() -> None:
    """Stored documents, uploads and audit events past their retention periods."""
    log.info("purge: %s; %s old audit event(s)", documents_purge(), audit_events_purge())
