"""Keep the local cache current from the API, within the history endpoint's rate limit.

- The first run backfills the whole history, newest first, in pages of 500 (the API's
  maximum), saving its offset after each page so an interrupted backfill resumes where it
  stopped: n faxes cost ceil(n/500) history calls.
- Later runs are incremental: from the newest known creation date minus an overlap, newest
  first, until a page holds a fax the cache already knows unchanged.
- Faxes left in a non-terminal state are reconciled one by one with `fax_info`, so a lost
  webhook cannot leave a fax "processing" forever.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from queue import SimpleQueue

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from drenfax_portal.client import (
    DrenfaxClient,
    DrenfaxError,
    HistoryPage,
    NotFoundError,
    RateLimitedError,
    RetryPolicy,
)
from fax_numbers.services import number_upsert, numbers_mark_removed
from faxes.models import TERMINAL_STATUSES, Fax, FaxEvent, SyncState
from faxes.payload import InvalidPayload
from faxes.ratelimit import DatabaseRateLimiter
from faxes.services import fax_merge_fields, fax_merge_payloads, fax_read_payloads

log = logging.getLogger(__name__)

PAGE_SIZE = 500  # the history endpoint's maximum
# The history filter has day granularity; re-reading a day and a bit catches late arrivals.
OVERLAP = timedelta(days=1, hours=1)


@dataclass
class SyncReport:
    calls: int = 0
    fetched: int = 0
    created: int = 0
    updated: int = 0
    reconciled: int = 0
    backfill_done: bool = False
    error: str = ""
    # Seconds to wait before the next call, when the rate limit (ours or the provider's) bit.
    retry_after: float = 0.0

    def __str__(self) -> str:
        text = (
            f"{self.calls} history call(s), {self.fetched} fetched, {self.created} new, "
            f"{self.updated} updated, {self.reconciled} reconciled"
        )
        if not self.backfill_done:
            text += " (backfill in progress)"
        return text + (f"; error: {self.error}" if self.error else "")


def state_key(account_id: str) -> str:
    return f"faxes:{account_id}"


def sync_state(account_id: str) -> SyncState:
    state, _ = SyncState.objects.get_or_create(key=state_key(account_id))
    return state


def sync_faxes_step(
    *,
    client: DrenfaxClient,
    account_id: str,
    limiter: DatabaseRateLimiter | None = None,
    max_calls: int | None = None,
) -> SyncReport:
    """One sync step: backfill (or resume it) or fetch what is new. Never raises API errors."""
    state = sync_state(account_id)
    report = SyncReport(backfill_done=state.backfill_done)
    SyncState.objects.filter(pk=state.pk).update(last_attempt_at=timezone.now())
    try:
        if state.backfill_done:
            _incremental(client, account_id, state, report, max_calls)
        else:
            _backfill(client, account_id, state, report, max_calls, limiter)
    except RateLimitedError as exc:
        # Not a failure: the next step goes on once the window allows. A 429 from the
        # provider itself pauses every process, instead of each retrying in a loop; without
        # Retry-After it pauses a whole window (the provider's resets on the minute).
        report.retry_after = exc.retry_after or float(settings.DRENFAX_HISTORY_RATE[1])
        if exc.status_code == 429 and limiter is not None:
            limiter.penalize(account_id, report.retry_after)
    except DrenfaxError as exc:
        report.error = str(exc)
    fields = {"last_error": report.error[:500]}
    if not report.error:
        fields["last_success_at"] = timezone.now()
    SyncState.objects.filter(pk=state.pk).update(**fields)
    if report.error:
        log.warning("fax sync: %s", report.error)
    return report


def _read_page(rows) -> list[dict]:
    """A history page's faxes as model fields (rows that are not faxes are logged and left)."""
    return fax_read_payloads([row.raw for row in rows], skip_invalid=True)[0]


def _merge_page(rows, report: SyncReport, read: list[dict] | None = None) -> bool:
    """Merge one history page (`read`: its `_read_page`, when done already); True when it
    held a fax already known and unchanged."""
    parsed = _read_page(rows) if read is None else read
    merged = fax_merge_fields(parsed, source=FaxEvent.Source.SYNC)
    report.fetched += len(rows)
    report.created += merged.created
    report.updated += merged.updated
    return any(not o.created and not o.changed for o in merged.outcomes)


def _newest(rows, current):
    newest = max((r.created_at for r in rows if r.created_at), default=None)
    if newest is None:
        return current
    return newest if current is None or newest > current else current


def _backfill(client, account_id, state: SyncState, report: SyncReport, max_calls, limiter):
    ahead = _PagesAhead(client, limiter, account_id) if limiter is not None else None
    try:
        page, read = None, None
        asked = state.backfill_offset  # where the pages asked for ahead end
        while max_calls is None or report.calls < max_calls:
            if page is None:
                page = client.fax_history(account_id, offset=state.backfill_offset, limit=PAGE_SIZE)
                read = None
            report.calls += 1
            offset = state.backfill_offset + len(page.rows)
            done = len(page.rows) < PAGE_SIZE or offset >= page.count
            if ahead is not None and not done:
                # The pages after this one (all full, or this would be the last), as many
                # as may be on their way at once, within the step's calls.
                asked = max(asked, offset)
                while (
                    len(ahead.jobs) < ahead.depth
                    and asked < page.count
                    and (max_calls is None or report.calls + len(ahead.jobs) < max_calls)
                    and ahead.reserve(asked)
                ):
                    asked += PAGE_SIZE
            with transaction.atomic():
                _merge_page(page.rows, report, read)
                state.backfill_offset = offset
                state.newest_created_at = _newest(page.rows, state.newest_created_at)
                state.backfill_done = done
                state.save(update_fields=["backfill_offset", "newest_created_at", "backfill_done"])
            if done:
                report.backfill_done = True
                return
            page, read = ahead.take(offset) if ahead is not None and ahead.jobs else (None, None)
    finally:
        if ahead is not None:
            ahead.close()


@dataclass(eq=False)
class _PageJob:
    offset: int
    token: int
    due: float  # when the token's turn comes (time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)
    sent: bool = False  # the request went out (or may have): its token counts
    ended_at: datetime | None = None
    page: HistoryPage | None = None
    read: list[dict] | None = None
    error: Exception | None = None


class _PagesAhead:
    """Backfill pages fetched ahead, in order, by one thread while earlier ones merge.

    Each page's token is reserved by the merging thread, outside its transactions, for now or
    for when one frees up (within the time the client would wait for one). The fetching
    thread waits for the token's turn and makes the request: one attempt, and no database,
    which on SQLite would wait for the merge's transaction. `take` dates the token to the
    request's end.

    Pages are only ever asked for in order: after a failed page (or one the thread got to
    too late for its token's date), no later page is sent ahead; they are all fetched as
    usual after the merge, with the client's waits and retries, and their unused tokens
    given back. A 429 ends the step, as it does on the usual path, so the pause is recorded.
    """

    def __init__(self, client: DrenfaxClient, limiter: DatabaseRateLimiter, account_id: str):
        self.limiter = limiter
        self.account_id = account_id
        # A window's worth of calls on their way: the next window's calls then follow the
        # fetches' pace, not the merges' (a call waits for the token of the call `rate`
        # before it, which is reserved once that call's page is taken).
        self.depth = limiter.rate
        self.within = client.retry.total_seconds
        # A page sent later than this after its turn might reach the provider after its
        # token's provisional date (its turn plus `hold`): it is not sent.
        self.late = limiter.hold / 2
        # The same client (API, key, session), whose one attempt uses the reserved token.
        self.client = copy.copy(client)
        self.client.rate_limiter = self
        self.client.retry = RetryPolicy(max_attempts=1)
        self.jobs: deque[_PageJob] = deque()  # reserved, oldest first
        self._queue: SimpleQueue[_PageJob | None] = SimpleQueue()
        self._halted = threading.Event()  # nothing more is sent ahead
        self._thread: threading.Thread | None = None
        self._current: _PageJob | None = None

    def reserve(self, offset: int) -> bool:
        """Ask for the page at `offset`, if a token is free or frees up soon enough."""
        if self._halted.is_set():
            return False
        wait, token = self.limiter.reserve(self.account_id, within=self.within)
        if token is None:
            return False
        job = _PageJob(offset, token, time.monotonic() + wait)
        self.jobs.append(job)
        self._queue.put(job)
        if self._thread is None:
            thread = threading.Thread(target=self._run, name="history-ahead", daemon=True)
            thread.start()
            self._thread = thread
        return True

    def take(self, offset: int) -> tuple[HistoryPage | None, list[dict] | None]:
        """The oldest page asked for, which must be at `offset`, and its rows read; or
        (None, None) when it is to be fetched as usual. Raises the provider's 429."""
        job = self.jobs.popleft()
        job.done.wait()
        self._settle(job)
        if isinstance(job.error, RateLimitedError) and job.error.status_code == 429:
            raise job.error
        if job.page is None or job.offset != offset:  # the offset: never, pages being full
            if job.error is not None:
                log.info("history page fetched ahead failed (%s); fetching it again", job.error)
            self._halted.set()
            return None, None
        return job.page, job.read

    def close(self) -> None:
        """Ask for nothing more; every token reserved is dated, or given back if unused."""
        self._halted.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join()
        while self.jobs:
            self._settle(self.jobs.popleft())

    def _settle(self, job: _PageJob) -> None:
        if job.sent:
            self.limiter.settle(job.token, job.ended_at or timezone.now())
        else:
            self.limiter.release(job.token)

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            try:
                delay = job.due - time.monotonic()
                if delay > 0:
                    self._halted.wait(delay)  # until the token's turn
                if time.monotonic() - job.due > self.late:  # an earlier page was slow
                    self._halted.set()
                if self._halted.is_set():
                    continue
                self._current = job
                page = self.client.fax_history(self.account_id, offset=job.offset, limit=PAGE_SIZE)
                # Read here too: what the merge then has left to do is mostly the database's.
                job.read = _read_page(page.rows)
                job.page = page
            except Exception as exc:  # the usual path meets it again, in the merging thread
                if not isinstance(exc, DrenfaxError):
                    log.exception("fetching a history page ahead")
                job.error = exc
                self._halted.set()
            finally:
                job.done.set()

    # The fetching client's rate limiter: each attempt uses its page's reserved token.

    def try_acquire(self, key: str) -> float:
        job = self._current
        if job is None or job.sent:  # never a second request on one token
            return float("inf")
        job.sent = True
        return 0.0

    def completed(self, key: str) -> None:
        if self._current is not None:
            self._current.ended_at = timezone.now()


def _incremental(client, account_id, state: SyncState, report: SyncReport, max_calls) -> None:
    from_date = (state.newest_created_at - OVERLAP).date() if state.newest_created_at else None
    offset = 0
    while max_calls is None or report.calls < max_calls:
        page = client.fax_history(account_id, offset=offset, limit=PAGE_SIZE, from_date=from_date)
        report.calls += 1
        with transaction.atomic():
            met_known = _merge_page(page.rows, report)
            state.newest_created_at = _newest(page.rows, state.newest_created_at)
            state.save(update_fields=["newest_created_at"])
        offset += len(page.rows)
        if met_known or len(page.rows) < PAGE_SIZE or offset >= page.count:
            return


def reconcile_open_faxes(
    *, client: DrenfaxClient, older_than: timedelta = timedelta(minutes=2), limit: int = 20
) -> int:
    """Ask the provider about faxes still open in the cache; returns how many were checked."""
    cutoff = timezone.now() - older_than
    open_faxes = list(
        Fax.objects.exclude(status__in=TERMINAL_STATUSES)
        .filter(deleted_at__isnull=True, updated_at__lt=cutoff)
        .exclude(last_checked_at__gte=cutoff)
        .order_by(F("last_checked_at").asc(nulls_first=True))[:limit]
    )
    checked = 0
    for fax in open_faxes:
        try:
            info = client.fax_info(str(fax.message_id))
        except NotFoundError:
            with transaction.atomic():
                Fax.objects.filter(pk=fax.pk).update(deleted_at=timezone.now())
                FaxEvent.objects.create(
                    fax=fax, source=FaxEvent.Source.SYNC, note="no longer at the provider"
                )
        except RateLimitedError:
            break
        except DrenfaxError as exc:
            log.warning("reconciling fax %s: %s", fax.message_id, exc)
            break
        else:
            try:
                fax_merge_payloads([info.raw], source=FaxEvent.Source.SYNC)
            except InvalidPayload as exc:
                log.warning("reconciling fax %s: %s", fax.message_id, exc)
        Fax.objects.filter(pk=fax.pk).update(last_checked_at=timezone.now())
        checked += 1
    return checked


def sync_numbers(*, client: DrenfaxClient, page_size: int = 100) -> int:
    """Refresh the numbers cache from the account's numbers list; returns how many."""
    seen = []
    offset = 0
    while True:
        page = client.list_numbers(
            account_id=settings.DRENFAX_ACCOUNT_ID or None, offset=offset, limit=page_size
        )
        for row in page.rows:
            seen.append(number_upsert(row.raw).uuid)
        offset += len(page.rows)
        if not page.rows or offset >= page.count:
            break
    numbers_mark_removed(seen)
    return len(seen)


def request_refresh(account_id: str) -> None:
    """Ask the worker for a sync step soon (the Refresh button); never blocks on the API."""
    state = sync_state(account_id)
    SyncState.objects.filter(pk=state.pk).update(refresh_requested_at=timezone.now())
