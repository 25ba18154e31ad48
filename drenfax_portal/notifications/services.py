"""Notification emails, enqueued and sent by the worker (`Worker.step`), never by a request.

- `notifications_enqueue` writes one row per recently finished fax, event and user (a
  received fax to the number's members, a failed one to its sender), skipped rows saying
  why, under a unique constraint so duplicate webhooks or workers cannot add a second.
- `notifications_send` claims pending rows with one conditional `update()` and sends them;
  a row left "sending" by a crash is never retried, so no email goes out twice.
- `digests_send` does the same, once a day, for users who chose a daily digest.
"""

from __future__ import annotations

import logging
import time
import uuid
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dtime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, F, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from drenfax_portal.accounts.models import Profile
from drenfax_portal.client import DrenfaxClient
from drenfax_portal.notifications.emails import digest_email, fax_email
from drenfax_portal.notifications.models import Notification
from drenfax_portal.notifications.preferences import preferences_for_users
from fax_numbers.models import FaxNumber
from faxes.models import Direction, Fax, FaxStatus
from faxes.selectors import visible_faxes

log = logging.getLogger(__name__)

State = Notification.State
Event = Notification.Event

# Only faxes that finished this recently are notified: a worker that was down for a while
# catches up, but history pulled in by a first backfill stays quiet.
NOTIFY_WITHIN = timedelta(hours=6)
# What is worth an email: a fax received, a fax sent that failed.
NOTIFIED = (
    (Direction.INBOUND, FaxStatus.SUCCESS),
    (Direction.OUTBOUND, FaxStatus.FAILED),
)
# A failed send is retried this often, at most MAX_ATTEMPTS times in all.
RETRY_EVERY = timedelta(minutes=5)
MAX_ATTEMPTS = 6
# A row still "sending" after this long belongs to a worker that died mid-send.
ABANDONED_AFTER = timedelta(minutes=10)


@dataclass
class NotifyReport:
    enqueued: int = 0
    sent: int = 0
    digests: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return (
            f"{self.enqueued} notification(s) enqueued, {self.sent} sent, "
            f"{self.digests} digest(s), {self.failed} failed"
        )


def notifications_process(
    *, client: DrenfaxClient | None = None, now: datetime | None = None, budget: float = 30.0
) -> NotifyReport:
    """One round for the worker: enqueue, send, send due digests, clear abandoned claims."""
    now = now or timezone.now()
    enqueued = notifications_enqueue(now=now)
    notifications_expire_abandoned(now=now)
    deadline = time.monotonic() + budget
    sent, failed = notifications_send(now=now, client=client, deadline=deadline)
    digests = digests_send(now=now, deadline=deadline)
    return NotifyReport(enqueued=enqueued, sent=sent, digests=digests, failed=failed)


# --- Enqueue ----------------------------------------------------------------------------------


def _event_of(fax: Fax) -> str:
    return Event.INBOUND if fax.direction == Direction.INBOUND else Event.FAILED


def notifiable_faxes(*, now: datetime) -> QuerySet[Fax]:
    """Faxes that finished recently with something to tell, and no notification row yet."""
    cutoff = now - NOTIFY_WITHIN
    # Only faxes somebody hears about, so every candidate gets a row and leaves the scan.
    has_members = Exists(
        FaxNumber.assigned_users.through.objects.filter(faxnumber_id=OuterRef("number_id"))
    )
    # Spelled out per kind and time, so that each branch is one range of an index
    # ((direction, status, resolved_at) or (direction, status, created_at)).
    recent = Q()
    for direction, status in NOTIFIED:
        kind = Q(direction=direction, status=status)
        recent |= kind & Q(resolved_at__gte=cutoff)
        recent |= kind & Q(resolved_at__isnull=True, created_at__gte=cutoff)
    return (
        Fax.objects.filter(recent, deleted_at__isnull=True)
        .filter(
            (Q(direction=Direction.INBOUND) & has_members)
            | Q(direction=Direction.OUTBOUND, sent_by__isnull=False)
        )
        .exclude(Exists(Notification.objects.filter(fax_id=OuterRef("pk"))))
        .order_by("pk")
    )


def notifications_enqueue(
    *,
    now: datetime | None = None,
    faxes: QuerySet[Fax] | None = None,
    skip_reason: str = "",
    limit: int = 500,
) -> int:
    """Write the notification rows for recently finished faxes; returns how many.
    `faxes` narrows the candidates; `skip_reason` records them all as skipped (demo data)."""

    now = now or timezone.now()
    candidates = notifiable_faxes(now=now)
    if faxes is not None:
        candidates = candidates.filter(pk__in=faxes.values("pk"))
    batch = list(candidates.select_related("sent_by")[:limit])
    if not batch:
        return 0
    recipients = _recipients(batch)
    prefs = preferences_for_users({u.pk for users in recipients.values() for u in users})
    rows = []
    for fax in batch:
        event = _event_of(fax)
        for user in recipients.get(fax.pk, []):
            state, note = _decide(user, event, prefs[user.pk], skip_reason)
            rows.append(
                Notification(
                    fax=fax,
                    event=event,
                    user=user,
                    state=state,
                    note=note,
                    via_digest=state == State.DIGEST,
                )
            )
    # The unique constraint keeps a concurrent enqueue (or a retry) from adding a second row.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _recipients(faxes: list[Fax]) -> dict[int, list[Any]]:
    """Who hears about each fax: the receiving number's members, or the sender."""
    number_ids = {f.number_id for f in faxes if f.direction == Direction.INBOUND and f.number_id}
    members: dict[int, list[Any]] = defaultdict(list)
    through = FaxNumber.assigned_users.through
    for link in through.objects.filter(faxnumber_id__in=number_ids).select_related("user"):
        members[link.faxnumber_id].append(link.user)
    recipients: dict[int, list[Any]] = {}
    for fax in faxes:
        if fax.direction == Direction.INBOUND:
            recipients[fax.pk] = members.get(fax.number_id, [])
        elif fax.sent_by is not None:
            recipients[fax.pk] = [fax.sent_by]
    return recipients


def _decide(user: Any, event: str, prefs: Any, skip_reason: str) -> tuple[str, str]:
    if skip_reason:
        return State.SKIPPED, skip_reason
    if not user.is_active:
        return State.SKIPPED, "the account is inactive"
    if not user.email:
        return State.SKIPPED, "the account has no email address"
    wanted = prefs.inbound if event == Event.INBOUND else prefs.failures
    if not wanted:
        return State.SKIPPED, "turned off in the user's preferences"
    return (State.DIGEST, "") if prefs.digest else (State.PENDING, "")


# --- Send -------------------------------------------------------------------------------------


def _claim(queryset: QuerySet[Notification], *, now: datetime) -> uuid.UUID | None:
    """Claim rows with one conditional update; only rows still in their state are taken."""
    token = uuid.uuid4()
    claimed = queryset.update(state=State.SENDING, claim=token, claimed_at=now)
    return token if claimed else None


def _still_allowed(notification: Notification) -> bool:
    user = notification.user
    return (
        user.is_active
        and bool(user.email)
        and visible_faxes(user).filter(pk=notification.fax_id).exists()
    )


def notifications_send(
    *,
    now: datetime | None = None,
    client: DrenfaxClient | None = None,
    limit: int = 20,
    deadline: float | None = None,
) -> tuple[int, int]:
    """Send pending notifications one email each; returns (sent, failed)."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(state=State.PENDING)
        .filter(_retry_due(now))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    token = _claim(Notification.objects.filter(pk__in=ids, state=State.PENDING), now=now)
    if token is None:
        return 0, 0
    sent = failed = 0
    mine = Notification.objects.filter(claim=token, state=State.SENDING)
    for notification in mine.select_related("fax", "user").order_by("created_at", "pk"):
        if deadline is not None and time.monotonic() > deadline:
            break
        if not _still_allowed(notification):
            _finish(notification, State.SKIPPED, note="no longer allowed to see this fax")
            continue
        try:
            fax_email(notification, client=client).send()
        except Exception as exc:  # any backend error: SMTP, DNS, TLS, a refused address
            log.warning("notification %s: sending failed: %s", notification.pk, exc)
            _retry_or_fail(notification, str(exc))
            failed += 1
        else:
            _finish(notification, State.SENT, sent_at=timezone.now())
            sent += 1
    # Rows not reached before the deadline go back to the queue untouched.
    mine.update(state=State.PENDING, claim=None, claimed_at=None)
    return sent, failed


def _retry_due(now: datetime) -> Q:
    """Never tried, or the last try failed long enough ago."""
    return Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - RETRY_EVERY)


def _finish(notification: Notification, state: str, **fields: Any) -> None:
    Notification.objects.filter(pk=notification.pk, claim=notification.claim).update(
        state=state, **fields
    )


def _retry_or_fail(notification: Notification, error: str) -> None:
    attempts = notification.attempts + 1
    state = State.FAILED if attempts >= MAX_ATTEMPTS else State.PENDING
    _finish(notification, state, attempts=attempts, note=error[:500])


def notifications_expire_abandoned(*, now: datetime | None = None) -> int:
    """Give up on rows a dead worker left "sending": they may have gone out already."""
    now = now or timezone.now()
    return Notification.objects.filter(
        state=State.SENDING, claimed_at__lt=now - ABANDONED_AFTER
    ).update(
        state=State.FAILED,
        note="interrupted while sending; not retried so that it cannot arrive twice",
    )


# --- Daily digest -----------------------------------------------------------------------------


def digest_cut(now: datetime, tzinfo: Any, hour: int) -> datetime:
    """The latest local `hour` o'clock at or before now: the digest covers what came before."""
    local = now.astimezone(tzinfo)
    cut = datetime.combine(local.date(), dtime(hour), tzinfo=tzinfo)
    return cut - timedelta(days=1) if cut > local else cut


def digests_send(*, now: datetime | None = None, deadline: float | None = None) -> int:
    """Send each user's daily digest once its hour has passed; returns how many went out."""
    now = now or timezone.now()
    waiting = dict(
        Notification.objects.filter(state=State.DIGEST)
        .filter(_retry_due(now))
        .values("user_id")
        .annotate(oldest=Min("created_at"))
        .order_by()
        .values_list("user_id", "oldest")
    )
    if not waiting:
        return 0
    zones = dict(Profile.objects.filter(user_id__in=waiting).values_list("user_id", "timezone"))
    users = get_user_model().objects.in_bulk(list(waiting))
    sent = 0
    for user_id, oldest in waiting.items():
        if deadline is not None and time.monotonic() > deadline:
            break
        tzinfo = _zone(zones.get(user_id))
        cut = digest_cut(now, tzinfo, settings.NOTIFY_DIGEST_HOUR)
        if oldest >= cut:
            continue
        token = _claim(
            Notification.objects.filter(
                _retry_due(now), user_id=user_id, state=State.DIGEST, created_at__lt=cut
            ),
            now=now,
        )
        if token is not None and _send_digest(users[user_id], token):
            sent += 1
    return sent


def _zone(name: str | None) -> Any:
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _send_digest(user: Any, token: uuid.UUID) -> bool:
    claimed = Notification.objects.filter(claim=token, state=State.SENDING)
    allowed = set(
        visible_faxes(user).filter(pk__in=claimed.values("fax_id")).values_list("pk", flat=True)
    )
    rows = list(claimed.select_related("fax").order_by("fax__created_at", "pk"))
    keep = [n for n in rows if n.fax_id in allowed]
    claimed.exclude(fax_id__in=allowed).update(
        state=State.SKIPPED, note="no longer allowed to see this fax"
    )
    if not keep or not user.is_active or not user.email:
        claimed.filter(state=State.SENDING).update(
            state=State.SKIPPED, note="the account is inactive or has no email address"
        )
        return False
    try:
        digest_email(user, keep).send()
    except Exception as exc:  # any backend error
        log.warning("digest for user %s: sending failed: %s", user.pk, exc)
        attempts = max(n.attempts for n in keep) + 1
        claimed.update(
            state=State.FAILED if attempts >= MAX_ATTEMPTS else State.DIGEST,
            attempts=F("attempts") + 1,
            note=str(exc)[:500],
            claim=None,
        )
        return False
    claimed.update(state=State.SENT, sent_at=timezone.now())
    return True
