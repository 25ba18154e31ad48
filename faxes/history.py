"""The fax history query: filters, text search and keyset pagination over the local cache.

Pages are keyed on (created_at, id), newest first, so page 2,000 costs what page 1 costs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Q, QuerySet

from drenfax_portal.forms import FilterForm, PortalDateField, day_range
from fax_numbers.selectors import visible_numbers
from faxes.models import TERMINAL_STATUSES, Direction, Fax, FaxStatus
from faxes.selectors import visible_faxes

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
)
# Above this many matches the page says "more than N" instead of counting them all.
COUNT_LIMIT = 1000

STATUS_CHOICES = [
    ("", "Any status"),
    ("open", "Not finished yet"),
    *FaxStatus.choices,
]
ARCHIVED_CHOICES = [("", "Not archived"), ("yes", "Archived only"), ("all", "Archived or not")]
DIRECTION_CHOICES = [("", "Both directions"), *Direction.choices]


class HistoryFilterForm(FilterForm):
    """The history's filters, all optional; an invalid value is reported and ignored."""

    q = forms.CharField(required=False, max_length=100, label="Search")
    direction = forms.ChoiceField(required=False, choices=DIRECTION_CHOICES)
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)
    number = forms.ChoiceField(required=False, label="Our number")
    date_from = PortalDateField(required=False, label="From")
    date_to = PortalDateField(required=False, label="To")
    archived = forms.ChoiceField(required=False, choices=ARCHIVED_CHOICES)
    tag = forms.CharField(required=False, max_length=100)

    def __init__(self, data: Any, *, user: AbstractBaseUser) -> None:
        super().__init__(data)
        numbers = visible_numbers(user).order_by("number")
        self.fields["number"].choices = [
            ("", "Any number" if user.is_staff else "Any of my numbers")
        ] + [(str(n.uuid), n.national) for n in numbers]

    @property
    def active_count(self) -> int:
        return len([k for k in self.filters if k != "archived"])


def filter_faxes(user: AbstractBaseUser, filters: dict[str, Any]) -> QuerySet[Fax]:
    """The user's visible faxes narrowed by the history filters (dates in the user's zone)."""
    faxes = visible_faxes(user)
    archived = filters.get("archived", "")
    if archived == "":
        faxes = faxes.filter(is_archived=False)
    elif archived == "yes":
        faxes = faxes.filter(is_archived=True)
    if direction := filters.get("direction"):
        faxes = faxes.filter(direction=direction)
    status = filters.get("status")
    if status == "open":
        faxes = faxes.exclude(status__in=TERMINAL_STATUSES)
    elif status:
        faxes = faxes.filter(status=status)
    if number := filters.get("number"):
        faxes = faxes.filter(number__uuid=number)
    start, end = day_range(filters.get("date_from"), filters.get("date_to"))
    if start:
        faxes = faxes.filter(created_at__gte=start)
    if end:
        faxes = faxes.filter(created_at__lt=end)
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
    digits = "".join(ch for ch in needle if ch.isdigit())
    # A typed phone number: "(206) 555-0100" finds +12065550100.
    if len(digits) >= 4 and not any(ch.isalpha() for ch in needle):
        needle = digits
    return search_text_contains(needle)


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
    if connection.vendor != "sqlite":
        return False
    key = connection.settings_dict["NAME"]
    if key not in _fts_tables:
        _fts_tables[key] = "faxes_fax_fts" in connection.introspection.table_names()
    return _fts_tables[key]


_fts_tables: dict[str, bool] = {}


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
