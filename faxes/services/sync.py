"""Keep the local cache current from the API, within the history endpoint's rate limit.

The first run backfills the whole history in pages of 500 (the API's maximum), saving its
offset after each page so an interrupted backfill resumes. Later runs read from the newest
known creation date minus an overlap until a page holds a fax already known unchanged. Open
faxes are reconciled one by one, so a lost webhook cannot leave one "processing" forever.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from drenfax_portal.client import DrenfaxClient, DrenfaxError, NotFoundError, RateLimitedError
from fax_numbers.models import FaxNumber
from fax_numbers.services import numbers_sync
from faxes.models import TERMINAL_STATUSES, Direction, Fax, FaxEvent, SyncState
from faxes.payload import InvalidPayload
from faxes.services.cache import fax_merge_payloads
from faxes.services.ratelimit import DatabaseRateLimiter, history_limiter

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
    retry_after: float = 0.0  # seconds to wait, when a rate limit (ours or the provider's) bit

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
    limiter = limiter or history_limiter()
    state = sync_state(account_id)
    report = SyncReport(backfill_done=state.backfill_done)
    SyncState.objects.filter(pk=state.pk).update(last_attempt_at=timezone.now())
    try:
        _fetch_pages(client, limiter, account_id, state, report, max_calls)
    except RateLimitedError as exc:
        # Not a failure. A provider 429 pauses every process, not just this one; without
        # Retry-After for a whole window (the provider's resets on the minute).
        report.retry_after = exc.retry_after or float(settings.DRENFAX_HISTORY_RATE[1])
        if exc.status_code == 429:
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


def _fetch_pages(client, limiter, account_id, state: SyncState, report: SyncReport, max_calls):
    """Backfill from the saved offset, or read what is new since the newest known fax (from
    where an earlier step stopped, if it was cut short)."""
    backfill = not state.backfill_done
    resumed = not backfill and state.walk_offset > 0
    offset = state.backfill_offset if backfill else state.walk_offset
    rewound = False
    from_date = None
    if not backfill and state.newest_created_at:
        from_date = (state.newest_created_at - OVERLAP).date()
    while max_calls is None or report.calls < max_calls:
        with limiter.token(account_id):
            page = client.fax_history(
                # Without `include`, a history row's tags are empty (tags would be wiped).
                account_id,
                limit=PAGE_SIZE,
                offset=offset,
                from_date=from_date,
                include=("tags",),
            )
        report.calls += 1
        gone = (state.history_count or 0) - page.count if offset else 0
        state.history_count = page.count
        if gone > 0:
            # Faxes deleted among those already read moved the older ones up: read again
            # from as many rows earlier (merging a fax twice changes nothing).
            offset, rewound = max(offset - gone, 0), True
            if backfill:
                state.backfill_offset = offset
            else:
                state.walk_offset = offset
            state.save(update_fields=["backfill_offset", "walk_offset", "history_count"])
            continue
        offset += len(page.rows)
        last = len(page.rows) < PAGE_SIZE or offset >= page.count
        with transaction.atomic():
            merged = fax_merge_payloads(page.rows, source=FaxEvent.Source.SYNC, skip_invalid=True)
            report.fetched += len(page.rows)
            report.created += merged.created
            report.updated += merged.updated
            newest = _newest(state.walk_newest, *(r.created_at for r in page.rows))
            # A page holding a fax already known unchanged: the rest is known too, unless
            # an earlier step stopped before reading it (then the walk goes to its end).
            met_known = any(not o.created and not o.changed for o in merged.outcomes)
            # After a rewind the faxes read again are known: only the end ends the walk.
            ends = last or (met_known and not backfill and not resumed and not rewound)
            if backfill:
                state.newest_created_at = _newest(state.newest_created_at, newest)
                state.backfill_offset, state.backfill_done = offset, last
            elif ends:
                state.newest_created_at = _newest(state.newest_created_at, newest)
                state.walk_offset, state.walk_newest = 0, None
            else:
                state.walk_offset, state.walk_newest = offset, newest
            state.save(
                update_fields=[
                    "backfill_offset",
                    "backfill_done",
                    "newest_created_at",
                    "walk_offset",
                    "walk_newest",
                    "history_count",
                ]
            )
        if ends:
            report.backfill_done = state.backfill_done
            return


def _newest(*dates):
    return max((d for d in dates if d), default=None)


def reconcile_open_faxes(*, client: DrenfaxClient) -> int:
    """Ask the provider about faxes open in the cache for a while (at most 20 per call);
    returns how many were checked."""
    cutoff = timezone.now() - timedelta(minutes=2)
    open_faxes = list(
        Fax.objects.exclude(status__in=TERMINAL_STATUSES)
        .filter(deleted_at__isnull=True, updated_at__lt=cutoff)
        .exclude(last_checked_at__gte=cutoff)
        .order_by(F("last_checked_at").asc(nulls_first=True))[:20]
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
                fax_merge_payloads([info], source=FaxEvent.Source.SYNC)
            except InvalidPayload as exc:
                log.warning("reconciling fax %s: %s", fax.message_id, exc)
        Fax.objects.filter(pk=fax.pk).update(last_checked_at=timezone.now())
        checked += 1
    return checked


def sync_numbers(*, client: DrenfaxClient) -> int:
    """Refresh the numbers cache and link the faxes that came before their number."""
    count = numbers_sync(client=client)
    faxes_link_numbers()
    return count


def faxes_link_numbers() -> int:
    """Link cached faxes to their number (inbound: the receiving one; outbound: the caller
    id) when the number became known after them; returns how many."""
    known = FaxNumber.objects.exclude(state=FaxNumber.State.REMOVED)
    linked = 0
    for direction, field in (
        (Direction.INBOUND, "fax_number"),
        (Direction.OUTBOUND, "fax_caller_id"),
    ):
        number = known.filter(number=OuterRef(field)).order_by("id").values("id")[:1]
        unlinked = Fax.objects.filter(
            number__isnull=True, direction=direction, **{f"{field}__in": known.values("number")}
        )
        linked += unlinked.update(number=Subquery(number))
    return linked


def request_refresh(account_id: str) -> None:
    """Note that a Refresh was asked for (the page polls until a step ran after it)."""
    state = sync_state(account_id)
    SyncState.objects.filter(pk=state.pk).update(refresh_requested_at=timezone.now())
