"""The long-lived sync worker (`manage.py sync_faxes`): one active loop across processes."""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from drenfax_portal.api import get_client
from drenfax_portal.audit.services import audit_events_purge
from drenfax_portal.notifications.services import notifications_process
from faxes.models import SyncState
from faxes.pdf_fetch import fetch_wanted_pdfs
from faxes.ratelimit import default_holder, history_limiter, lease_acquire, lease_release
from faxes.retention import documents_purge
from faxes.submissions import reconcile_unknown_submissions
from faxes.sync import (
    SyncReport,
    faxes_link_numbers,
    reconcile_open_faxes,
    state_key,
    sync_faxes_step,
    sync_numbers,
)

log = logging.getLogger(__name__)

LEASE_NAME = "sync-worker"
NUMBERS_EVERY = timedelta(minutes=5)
PURGE_EVERY = timedelta(minutes=10)


class Worker:
    def __init__(self, *, interval: float | None = None, holder: str | None = None) -> None:
        self.interval = settings.SYNC_INTERVAL if interval is None else interval
        self.holder = holder or default_holder()
        self.account_id = settings.DRENFAX_ACCOUNT_ID
        self.stopping = threading.Event()
        self._numbers_synced_at: float | None = None
        self._purged_at: float | None = None

    def lease_ttl(self) -> float:
        # Long enough to cover a step that waits out the rate limit, short enough to hand over.
        return max(180.0, self.interval * 3)

    def step(self) -> SyncReport | None:
        """One round of work if this process holds the lease; None if another one does."""
        if not lease_acquire(LEASE_NAME, self.holder, ttl=self.lease_ttl()):
            return None
        self._purge_if_due()  # needs no API, so it runs even while the API is down
        client = get_client()
        try:
            if self._numbers_due():
                try:
                    sync_numbers(client=client)
                    self._numbers_synced_at = time.monotonic()
                except Exception:  # keep the loop alive; the next round retries
                    log.exception("numbers sync failed")
            else:
                faxes_link_numbers()  # numbers refreshed from the Numbers page since
            # At most one window's worth of calls per step, so the lease is renewed in time
            # even while a long backfill waits out the rate limit.
            report = sync_faxes_step(
                client=client,
                account_id=self.account_id,
                limiter=history_limiter(),
                max_calls=settings.DRENFAX_HISTORY_RATE[0],
            )
            report.reconciled = reconcile_open_faxes(client=client)
            fetch_wanted_pdfs(client=client)  # inbound faxes whose webhook came without the PDF
            try:
                # Sends whose outcome is unknown: looked up, never sent again.
                reconcile_unknown_submissions(client=client, account_id=self.account_id)
            except Exception:
                log.exception("reconciling submissions failed")

            # After the sync, so that what it just recorded is notified in the same step.
            self._notify(client)
            return report
        finally:
            client.close()

    def _purge_if_due(self) -> None:
        """Delete stored documents, uploads and audit events past their retention periods."""
        if (
            self._purged_at is not None
            and time.monotonic() - self._purged_at < PURGE_EVERY.total_seconds()
        ):
            return
        try:
            purged = documents_purge()
            events = audit_events_purge()
            self._purged_at = time.monotonic()
            log.info("purge: %s; %s old audit event(s)", purged, events)
        except Exception:  # keep the loop alive; the next round retries
            log.exception("purging uploads failed")

    def _notify(self, client) -> None:
        """Enqueue and send notification emails; a mail problem never stops the sync."""
        try:
            notified = notifications_process(client=client)
        except Exception:
            log.exception("notifications failed")
            return
        if notified.enqueued or notified.sent or notified.digests or notified.failed:
            log.info("notifications: %s", notified)

    def _numbers_due(self) -> bool:
        state = SyncState.objects.filter(key=state_key(self.account_id)).first()
        requested = state and state.refresh_requested_at
        return (
            self._numbers_synced_at is None
            or time.monotonic() - self._numbers_synced_at > NUMBERS_EVERY.total_seconds()
            or bool(requested and requested > timezone.now() - timedelta(seconds=self.interval))
        )

    def run(self) -> None:
        """Loop until stopped: a step every `interval` seconds, or sooner on a Refresh."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        log.info("sync worker %s started (every %.0fs)", self.holder, self.interval)
        try:
            while not self.stopping.is_set():
                started = timezone.now()
                close_old_connections()
                report = None
                try:
                    report = self.step()
                    if report is not None:
                        busy = report.created or report.updated or report.reconciled
                        log.log(logging.INFO if busy else logging.DEBUG, "sync: %s", report)
                except Exception:
                    log.exception("sync step failed")
                if report is not None and report.retry_after:
                    self.stopping.wait(report.retry_after)
                    continue
                if report is not None and not report.backfill_done and not report.error:
                    continue  # a backfill goes on at the pace of the rate limiter
                self._wait(started)
        finally:
            lease_release(LEASE_NAME, self.holder)
            log.info("sync worker %s stopped", self.holder)

    def _wait(self, since) -> None:
        """Sleep until the next step is due or a Refresh was requested after `since`."""
        deadline = time.monotonic() + self.interval
        while not self.stopping.is_set() and time.monotonic() < deadline:
            requested = (
                SyncState.objects.filter(key=state_key(self.account_id))
                .values_list("refresh_requested_at", flat=True)
                .first()
            )
            if requested and requested > since:
                return
            self.stopping.wait(1.0)
