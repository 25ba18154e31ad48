"""The home page's queries, each panel one or two indexed queries whatever the data size.

Every fax query starts from `visible_faxes(user)`, the access rule. Figures are grouped in
the database (one grouped query for the 30 days of activity), never counted row by row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate
from huey.contrib.djhuey import HUEY

from fax_numbers.models import FaxNumber
from fax_numbers.selectors import visible_numbers
from faxes.models import Direction, Fax, FaxStatus, SyncState, TeamState, WebhookDelivery
from faxes.selectors import count_matches, visible_faxes
from faxes.services.ratelimit import history_limiter
from faxes.services.reads import unread_inbound
from faxes.services.sync import sync_state

log = logging.getLogger(__name__)

ACTIVITY_DAYS = 30
FAILURES_DAYS = 7
# A fax still processing or transmitting after this long has lost its way (scheduled faxes
# legitimately wait for their date and are left out).
STUCK_AFTER = timedelta(hours=1)
# The sync runs every minute; five without a success is worth a look.
SYNC_OVERDUE_AFTER = timedelta(minutes=5)
STUCK_STATUSES = (FaxStatus.PROCESSING, FaxStatus.TRANSMITTING)
MAX_NUMBERS = 100


def _newest(rows: QuerySet, limit: int) -> tuple[list, int]:
    """The first `limit` rows and how many there are in all (counted only past the limit)."""
    first = list(rows[: limit + 1])
    return first[:limit], len(first) if len(first) <= limit else rows.count()


# --- Unread inbound ---------------------------------------------------------------------------


@dataclass
class Inbox:
    count: int
    by_number: dict[int, int]
    faxes: list[Fax]  # the newest unread ones
    has_numbers: bool = True  # False: nothing can be unread for this user


def inbox(user: AbstractBaseUser, *, now: datetime, limit: int = 8) -> Inbox:
    unread = unread_inbound(user, now=now)
    by_number = dict(
        unread.order_by().values("number_id").annotate(n=Count("id")).values_list("number_id", "n")
    )
    count = sum(by_number.values())
    if not count:
        has_numbers = FaxNumber.objects.filter(assigned_users=user).exists()
        return Inbox(count=0, by_number={}, faxes=[], has_numbers=has_numbers)
    faxes = list(unread.select_related("number")[:limit])
    return Inbox(count=count, by_number=by_number, faxes=faxes)


# --- The team's received faxes ----------------------------------------------------------------

UNASSIGNED_DAYS = 14  # older faxes nobody took are in the history's Unassigned view


@dataclass
class TeamQueue:
    mine: list[Fax]
    mine_count: int
    unassigned: list[Fax]
    unassigned_count: int | None  # None: more than COUNT_LIMIT
    since: date


def team_queue(user: AbstractBaseUser, *, now: datetime, tz: tzinfo, limit: int = 6) -> TeamQueue:
    """The received faxes assigned to the user, and those nobody has taken lately."""
    inbound = visible_faxes(user, listed=True).filter(direction=Direction.INBOUND)
    mine = inbound.filter(team_state=TeamState.ASSIGNED, assignee=user, is_archived=False)
    mine, mine_count = _newest(mine, limit)
    since = now - timedelta(days=UNASSIGNED_DAYS)
    new = inbound.filter(
        team_state=TeamState.NEW, status=FaxStatus.SUCCESS, is_archived=False, created_at__gte=since
    )
    unassigned = list(new[:limit])
    count = len(unassigned) if len(unassigned) < limit else count_matches(new)
    return TeamQueue(mine, mine_count, unassigned, count, since.astimezone(tz).date())


# --- Failed outbound --------------------------------------------------------------------------


@dataclass
class Failures:
    faxes: list[Fax]
    total: int
    since: date


def recent_failures(
    user: AbstractBaseUser, *, now: datetime, tz: tzinfo, limit: int = 8
) -> Failures:
    """Failed outbound faxes of the last 7 days (archived ones count as dealt with)."""
    since = now - timedelta(days=FAILURES_DAYS)
    failed = visible_faxes(user, listed=True).filter(
        direction=Direction.OUTBOUND,
        status=FaxStatus.FAILED,
        is_archived=False,
        created_at__gte=since,
    )
    rows, total = _newest(failed.select_related("sent_by").order_by("-created_at", "-id"), limit)
    return Failures(faxes=rows, total=total, since=since.astimezone(tz).date())


# --- Activity: today, 30 days, per day --------------------------------------------------------


@dataclass
class Counts:
    """Faxes received (`in_`) and sent (`out_`): delivered, failed and in all; and pages."""

    in_ok: int = 0
    in_failed: int = 0
    in_total: int = 0
    out_ok: int = 0
    out_failed: int = 0
    out_total: int = 0
    pages: int = 0

    def add(self, other: Counts) -> None:
        for f in fields(Counts):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def received(self) -> int:
        return self.in_total

    @property
    def sent(self) -> int:
        return self.out_total

    @property
    def succeeded(self) -> int:
        return self.in_ok + self.out_ok

    @property
    def failed(self) -> int:
        return self.in_failed + self.out_failed

    @property
    def success_rate(self) -> float | None:
        """Delivered out of finished (delivered or failed), in percent; None when none."""
        finished = self.succeeded + self.failed
        return 100.0 * self.succeeded / finished if finished else None


@dataclass
class DayCounts(Counts):
    day: date = field(kw_only=True)


@dataclass
class Activity:
    days: list[DayCounts]  # oldest first, the last one is today
    period: Counts

    @property
    def today(self) -> DayCounts:
        return self.days[-1]

    @property
    def first_day(self) -> date:
        return self.days[0].day

    @property
    def last_day(self) -> date:
        return self.days[-1].day


OUTCOMES = {FaxStatus.SUCCESS: "ok", FaxStatus.FAILED: "failed"}


def activity(
    user: AbstractBaseUser, *, now: datetime, tz: tzinfo, days: int = ACTIVITY_DAYS
) -> Activity:
    """Faxes per local day over the last `days` days, in one grouped query."""
    today = now.astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=tz)
    rows = (
        visible_faxes(user, listed=True)
        .filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day", "direction", "status")
        .annotate(count=Count("id"), pages=Sum("pages_complete"))
        .order_by()
    )
    by_day = {d: DayCounts(day=d) for d in (first + timedelta(days=i) for i in range(days))}
    for row in rows:
        if (counts := by_day.get(row["day"])) is None:
            continue
        side = "in" if row["direction"] == Direction.INBOUND else "out"
        counted = {f"{side}_total": row["count"], "pages": row["pages"] or 0}
        if outcome := OUTCOMES.get(row["status"]):
            counted[f"{side}_{outcome}"] = row["count"]
        counts.add(Counts(**counted))
    period = Counts()
    for counts in by_day.values():
        period.add(counts)
    return Activity(days=list(by_day.values()), period=period)


# --- Numbers ----------------------------------------------------------------------------------


@dataclass
class NumberRow:
    number: FaxNumber
    last_inbound: Fax | None
    unread: int
    members: list = field(default_factory=list)


def numbers_overview(
    user: AbstractBaseUser, *, unread_by_number: dict[int, int]
) -> list[NumberRow]:
    """The user's numbers (staff: every number) with the last inbound fax of each."""
    last_inbound = (
        Fax.objects.filter(
            number_id=OuterRef("pk"), direction=Direction.INBOUND, deleted_at__isnull=True
        )
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    numbers = (
        visible_numbers(user)
        .exclude(state=FaxNumber.State.REMOVED)
        .annotate(last_inbound_id=Subquery(last_inbound))
        .order_by("number")
    )
    if user.is_staff:
        numbers = numbers.prefetch_related("assigned_users")
    numbers = list(numbers[:MAX_NUMBERS])
    faxes = Fax.objects.in_bulk([n.last_inbound_id for n in numbers if n.last_inbound_id])
    return [
        NumberRow(
            number=n,
            last_inbound=faxes.get(n.last_inbound_id),
            unread=unread_by_number.get(n.pk, 0),
            members=list(n.assigned_users.all()) if user.is_staff else [],
        )
        for n in numbers
    ]


# --- The link's health (staff) ----------------------------------------------------------------


@dataclass
class WebhookHealth:
    last_received_at: datetime | None
    failed: list[WebhookDelivery]  # the newest failed ones
    failed_count: int


@dataclass
class Health:
    sync: SyncState
    sync_overdue: bool
    rate_limit_waits: int
    stuck_count: int
    stuck: list[Fax]
    webhooks: WebhookHealth
    tasks_queued: int | None  # None: the task store did not answer

    @property
    def problems(self) -> list[str]:
        found = []
        if self.sync.last_error:
            found.append("the last sync failed")
        elif self.sync_overdue:
            found.append("no successful sync recently")
        if self.webhooks.failed_count:
            found.append("webhook deliveries failed")
        if self.stuck_count:
            found.append("faxes look stuck")
        if self.tasks_queued is None:
            found.append("the task store does not answer")
        return found


def link_health(*, now: datetime, limit: int = 5) -> Health:
    state = sync_state(settings.DRENFAX_ACCOUNT_ID)
    stuck = Fax.objects.filter(
        status__in=STUCK_STATUSES, created_at__lt=now - STUCK_AFTER, deleted_at__isnull=True
    )
    stuck, stuck_count = _newest(stuck.order_by("created_at", "id"), limit)
    deliveries = WebhookDelivery.objects.order_by("-received_at", "-id")
    failed = deliveries.filter(outcome=WebhookDelivery.Outcome.FAILED)
    return Health(
        sync=state,
        sync_overdue=_sync_overdue(state, now),
        rate_limit_waits=history_limiter().waits_since(
            settings.DRENFAX_ACCOUNT_ID, now - timedelta(hours=1)
        ),
        stuck_count=stuck_count,
        stuck=stuck,
        webhooks=WebhookHealth(
            deliveries.values_list("received_at", flat=True).first(), *_newest(failed, limit)
        ),
        tasks_queued=tasks_queued(),
    )


def _sync_overdue(state: SyncState, now: datetime) -> bool:
    last = state.last_success_at
    return last is None or last < now - SYNC_OVERDUE_AFTER


def tasks_queued() -> int | None:
    """How many tasks wait in the task store; None if it cannot be reached."""
    try:
        return HUEY.pending_count()
    except Exception:  # any storage's error: SQLite, Redis or a network one
        log.warning("the task store does not answer", exc_info=True)
        return None


def service_health(*, now: datetime) -> dict[str, Any]:
    """What `/healthz` reports: the database and the task store answer, and how long ago
    the last sync succeeded (informative: a lagging sync does not make a web node unfit)."""
    report: dict[str, Any] = {"database": "ok", "tasks": "ok"}
    try:
        state = sync_state(settings.DRENFAX_ACCOUNT_ID)
    except DatabaseError:
        log.warning("the database does not answer", exc_info=True)
        report["database"] = "unreachable"
        state = None
    queued = tasks_queued()
    if queued is None:
        report["tasks"] = "unreachable"
    else:
        report["tasks_queued"] = queued
    if state is not None:
        last = state.last_success_at
        report["last_sync_age_seconds"] = round((now - last).total_seconds()) if last else None
        report["sync_overdue"] = _sync_overdue(state, now)
    report["ok"] = report["database"] == "ok" and report["tasks"] == "ok"
    return report
