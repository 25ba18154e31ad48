"""Which faxes a user may see: the one rule, used by every page, partial, download and action.

A member sees a fax when it is inbound to one of their numbers, or outbound and either sent
by them through the portal or sent from one of their numbers (caller id). Staff see all.
`Fax.number` holds exactly that link (inbound: receiving number; outbound: caller id), so the
rule is two indexed conditions.
"""

from __future__ import annotations

import string
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from drenfax_portal.forms import day_range
from drenfax_portal.uuids import parse_uuid
from fax_numbers.models import FaxNumber
from faxes.models import OPEN_STATUSES, Direction, Fax, FaxStatus, Submission, TeamState


def visible_faxes(user: AbstractBaseUser, *, listed: bool = False) -> QuerySet[Fax]:
    """The faxes this user may see (deleted ones excluded).

    `listed`: a member's numbers are looked up first (one query) and given as a list. A
    subquery hides the number and sender indexes from PostgreSQL's planner: a member with
    a quiet number then had every history page read through everyone else's faxes."""
    if not user.is_authenticated:
        return Fax.objects.none()
    faxes = Fax.objects.filter(deleted_at__isnull=True)
    if user.is_staff:
        return faxes
    mine = FaxNumber.objects.filter(assigned_users=user).values_list("id", flat=True)
    if listed:
        mine = list(mine)
    return faxes.filter(Q(number_id__in=mine) | Q(sent_by=user))


def assignable_users(fax: Fax) -> QuerySet[AbstractBaseUser]:
    """The people who can see `fax`, and so may be given it: staff, and the members of its
    number."""
    people = get_user_model().objects.filter(is_active=True)
    rule = Q(is_staff=True)
    if fax.number_id is not None:
        rule |= Q(fax_numbers=fax.number_id)
    return people.filter(rule).distinct().order_by("first_name", "last_name", "username")


def get_fax_for_user(user: AbstractBaseUser, message_id: object) -> Fax:
    """The fax with this message id if the user may see it; otherwise 404 (never 403)."""
    return get_object_or_404(visible_faxes(user), message_id=parse_uuid(message_id))


def get_submission_for_user(user: AbstractBaseUser, key: object) -> Submission:
    """A send the user made (staff: anyone's); otherwise 404."""
    mine = {} if user.is_staff else {"user_id": user.pk}
    return get_object_or_404(Submission, key=parse_uuid(key), **mine)


PAGE_SIZE = 25
# The columns a history row shows: loading only these keeps the provider's raw JSON and the
# search text out of every page (a test checks that rendering a page asks for nothing more).
ROW_FIELDS = (
    "message_id",
    "direction",
    "status",
    "fax_number",
    "fax_csid",
    "fax_caller_id",
    "pages_count",
    "pages_complete",
    "result_info",
    "error_info",
    "subject",
    "recipient_name",
    "created_at",
    "tags",
    "team_state",
)


def history_rows(faxes: QuerySet[Fax]) -> QuerySet[Fax]:
    """Only what a history row shows, its assignee's name included (in the same query)."""
    assignee = ("assignee__username", "assignee__first_name", "assignee__last_name")
    return faxes.select_related("assignee").only(*ROW_FIELDS, *assignee)


# Above this many matches the page says "more than N" instead of counting them all.
COUNT_LIMIT = 1000


def filter_faxes(user: AbstractBaseUser, filters: dict[str, Any]) -> QuerySet[Fax]:
    """The user's visible faxes narrowed by the history filters (dates in the user's zone)."""
    # SQLite plans the subquery well, and the list badly (its newest-first scan becomes a
    # sort of all the member's faxes: 30 ms became 400 at a million).
    faxes = visible_faxes(user, listed=connection.vendor == "postgresql")
    archived = filters.get("archived", "")
    if archived == "":
        faxes = faxes.filter(is_archived=False)
    elif archived == "yes":
        faxes = faxes.filter(is_archived=True)
    if direction := filters.get("direction"):
        faxes = faxes.filter(direction=direction)
    status = filters.get("status")
    if status == "open":
        # The statuses it can be in, not "none of the final ones": an index can find those.
        faxes = faxes.filter(status__in=OPEN_STATUSES)
    elif status:
        faxes = faxes.filter(status=status)
    if number := filters.get("number"):
        faxes = faxes.filter(number__uuid=number)
    start, end = day_range(filters.get("date_from"), filters.get("date_to"))
    if start:
        faxes = faxes.filter(created_at__gte=start)
    if end:
        faxes = faxes.filter(created_at__lt=end)
    team = filters.get("team")
    if team == "mine":
        faxes = faxes.filter(assignee=user, team_state=TeamState.ASSIGNED)
    elif team == "unassigned":
        # A reception that failed brought no document: nothing for the team to take.
        faxes = faxes.filter(
            direction=Direction.INBOUND, status=FaxStatus.SUCCESS, team_state=TeamState.NEW
        )
    elif team == "done":
        faxes = faxes.filter(direction=Direction.INBOUND, team_state=TeamState.DONE)
    if tag := filters.get("tag"):
        faxes = faxes.filter(tag_list__contains=f"|{tag.replace('|', '/')}|")
    if q := filters.get("q"):
        faxes = faxes.filter(search_q(q))
    return faxes


def search_q(text: str) -> Q:
    """Match a message id exactly, or a substring of the fax's search text."""
    text = text.strip()
    try:
        return Q(message_id=uuid.UUID(text))
    except ValueError:
        pass
    needle = text.lower()
    found = search_text_contains(needle)
    digits = "".join(ch for ch in needle if ch in string.digits)
    # A typed phone number: "(206) 555-0100" finds +12065550100; "2026-118" still finds
    # a subject that says so.
    if len(digits) >= 4 and digits != needle and not any(ch.isalpha() for ch in needle):
        found |= search_text_contains(digits)
    return found


def search_text_contains(needle: str) -> Q:
    """`search_text` contains the needle, using the database's text index when it has one.

    PostgreSQL's trigram GIN index (migration 0003) serves the plain LIKE. On SQLite the FTS5
    trigram table finds a rare needle's faxes directly; a common one (more matches than
    FTS_RARE) is left to the LIKE, because scanning the newest faxes first meets a page of
    matches almost at once, where sorting thousands of matches by date would not. Needles
    under three characters have no trigram and always scan.
    """
    if len(needle) >= 3 and _has_fts_table():
        phrase = '"' + needle.replace('"', '""') + '"'
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rowid FROM faxes_fax_fts WHERE faxes_fax_fts MATCH %s LIMIT %s",
                [phrase, FTS_RARE + 1],
            )
            ids = [row[0] for row in cursor.fetchall()]
        if len(ids) <= FTS_RARE:
            return Q(id__in=ids)
    return Q(search_text__contains=needle)


FTS_RARE = 2000


def _has_fts_table() -> bool:
    return connection.vendor == "sqlite" and _sqlite_has_fts(connection.settings_dict["NAME"])


@cache
def _sqlite_has_fts(database: str) -> bool:
    return "faxes_fax_fts" in connection.introspection.table_names()


@dataclass
class Page:
    faxes: list[Fax]
    newer_cursor: str | None
    older_cursor: str | None

    @property
    def total(self) -> int | None:
        """The number of matches when this page holds them all; else count_matches() tells."""
        if self.newer_cursor or self.older_cursor:
            return None
        return len(self.faxes)


def count_matches(faxes: QuerySet[Fax]) -> int | None:
    """How many faxes match, or None when more than COUNT_LIMIT (counting stops there)."""
    total = faxes.order_by()[: COUNT_LIMIT + 1].count()
    return total if total <= COUNT_LIMIT else None


_CURSOR_FORMAT = "%Y%m%dT%H%M%S.%f"


def encode_cursor(fax: Fax) -> str:
    """A page boundary: the row's creation time (UTC, microseconds) and id."""
    return f"{fax.created_at.astimezone(UTC).strftime(_CURSOR_FORMAT)}_{fax.pk}"


def decode_cursor(value: str | None) -> tuple[datetime, int] | None:
    if not value:
        return None
    stamp, _, pk = value.partition("_")
    try:
        return datetime.strptime(stamp, _CURSOR_FORMAT).replace(tzinfo=UTC), int(pk)
    except ValueError:
        return None


def paginate(faxes: QuerySet[Fax], *, before: str | None = None, after: str | None = None) -> Page:
    """One page of faxes, newest first, before or after a cursor."""
    if (cursor := decode_cursor(after)) is not None:
        stamp, pk = cursor
        rows = list(
            faxes.filter(created_at__gte=stamp)
            .exclude(created_at=stamp, id__lte=pk)
            .order_by("created_at", "id")[: PAGE_SIZE + 1]
        )
        has_newer = len(rows) > PAGE_SIZE
        if not has_newer:  # back at the top: show a full first page
            return paginate(faxes)
        rows = rows[:PAGE_SIZE][::-1]
        has_older = True
    else:
        newest_first = faxes.order_by("-created_at", "-id")
        if (cursor := decode_cursor(before)) is not None:
            stamp, pk = cursor
            newest_first = newest_first.filter(created_at__lte=stamp).exclude(
                created_at=stamp, id__gte=pk
            )
        rows = list(newest_first[: PAGE_SIZE + 1])
        has_older = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        has_newer = cursor is not None
    return Page(
        faxes=rows,
        newer_cursor=encode_cursor(rows[0]) if rows and has_newer else None,
        older_cursor=encode_cursor(rows[-1]) if rows and has_older else None,
    )
