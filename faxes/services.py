"""Writes to the fax cache. Every path that learns about a fax (sync, webhook, the portal's
own sends) goes through `fax_merge_payloads`, which keeps the cache order-safe: a terminal
status never changes, a status never moves backwards, `pages_complete` never decreases, and
every applied change adds one FaxEvent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from drenfax_portal.client import Fax as ApiFax
from fax_numbers.models import FaxNumber
from faxes.bulk import PreparedInsert, insert_instance, insert_rows, prepare_insert
from faxes.models import STATUS_RANK, TERMINAL_STATUSES, Direction, Fax, FaxEvent
from faxes.payload import InvalidPayload, fax_fields

log = logging.getLogger(__name__)

# Fields a provider report may change on a fax we already know (portal-side fields excluded).
_PROVIDER_FIELDS = (
    "account_id",
    "direction",
    "status",
    "fax_number",
    "fax_csid",
    "fax_caller_id",
    "pages_count",
    "pages_complete",
    "result_code",
    "result_info",
    "error_info",
    "error_code",
    "duration",
    "fax_speed",
    "fax_ecm",
    "fax_protocol",
    "fax_attempt",
    "fax_detected",
    "is_archived",
    "is_file_purged",
    "subject",
    "recipient_name",
    "message_number",
    "channel_type",
    "created_at",
    "resolved_at",
    "deleted_at",
    "tags",
    "custom_fields",
    "raw",
    "search_text",
    "tag_list",
)


@dataclass
class MergeOutcome:
    fax: Fax
    created: bool = False
    changed: bool = False  # any provider field changed
    stale: bool = False  # the report was older than the cache; nothing applied


@dataclass
class MergeReport:
    outcomes: list[MergeOutcome] = field(default_factory=list)
    invalid: int = 0

    @property
    def created(self) -> int:
        return sum(o.created for o in self.outcomes)

    @property
    def updated(self) -> int:
        return sum(o.changed and not o.created for o in self.outcomes)


def is_stale(current: Fax, incoming: dict[str, Any]) -> bool:
    """Whether a report is older than what the cache holds, so must not be applied."""
    if current.status in TERMINAL_STATUSES:
        return incoming["status"] != current.status
    if STATUS_RANK[incoming["status"]] < STATUS_RANK[current.status]:
        return True
    return (
        incoming["status"] == current.status
        and incoming["pages_complete"] is not None
        and current.pages_complete is not None
        and incoming["pages_complete"] < current.pages_complete
    )


def fax_merge_payloads(
    payloads: Iterable[dict[str, Any] | ApiFax],
    *,
    source: str,
    sent_by: AbstractBaseUser | None = None,
    record_stale: bool = False,
    skip_invalid: bool = False,
) -> MergeReport:
    """Create or update cached faxes from provider fax objects.

    Raises InvalidPayload for an object that is not a fax, unless `skip_invalid`, which logs
    and counts it instead (a sync must not stall on one odd row).
    """
    parsed, invalid = fax_read_payloads(payloads, skip_invalid=skip_invalid)
    report = fax_merge_fields(parsed, source=source, sent_by=sent_by, record_stale=record_stale)
    report.invalid = invalid
    return report


def fax_read_payloads(
    payloads: Iterable[dict[str, Any] | ApiFax], *, skip_invalid: bool = False
) -> tuple[list[dict[str, Any]], int]:
    """`fax_fields` of each provider fax object (a dict, or the client's `Fax` read from
    one), and how many were skipped as not faxes
    (raises InvalidPayload instead, unless `skip_invalid`). Touches no database."""
    parsed = []
    invalid = 0
    for payload in payloads:
        try:
            parsed.append(fax_fields(payload))
        except InvalidPayload as exc:
            if not skip_invalid:
                raise
            log.warning("skipping a fax object: %s", exc)
            invalid += 1
    return parsed, invalid


def fax_merge_fields(
    parsed: list[dict[str, Any]],
    *,
    source: str,
    sent_by: AbstractBaseUser | None = None,
    record_stale: bool = False,
    new: PreparedInsert | None = None,
) -> MergeReport:
    """`fax_merge_payloads` for fax objects already read with `fax_fields` (the webhook reads
    its object before it opens the transaction, so that the transaction is short).

    `new` is the INSERT of the one inbound fax in `parsed`, from `fax_prepare_insert`: a
    webhook prepares it before the transaction, and it is written unless the fax exists.
    """
    report = MergeReport()
    _merge(parsed, report, source=source, sent_by=sent_by, record_stale=record_stale, new=new)
    return report


def fax_prepare_insert(
    fields: dict[str, Any], *, sent_by: AbstractBaseUser | None = None
) -> PreparedInsert:
    """The INSERT that would create a fax from `fields` (for `fax_merge_fields`)."""
    fax = Fax(**{**fields, "created_at": fields["created_at"] or timezone.now()}, sent_by=sent_by)
    # Our number is looked up by the INSERT itself: one round trip fewer per webhook.
    number = _our_number(fields)
    computed = (
        {"number_id": (f"({_NUMBER_ID_SQL})", [number, FaxNumber.State.REMOVED])} if number else {}
    )
    return prepare_insert(fax, unless_conflict_on=("message_id",), computed=computed)


# The payloads are checked before this runs, so what fails in here is the database, which
# fails the caller's transaction anyway: no savepoint of its own, two round trips fewer for
# every webhook and sync page.
@transaction.atomic(savepoint=False)
def _merge(
    parsed: list[dict[str, Any]],
    report: MergeReport,
    *,
    source: str,
    sent_by: AbstractBaseUser | None,
    record_stale: bool,
    new: PreparedInsert | None,
) -> None:
    numbers = _NumberLookup()
    # One inbound fax (a webhook) is new as a rule: it is inserted unless it exists, which
    # saves the select; if it exists it is locked and updated as below. An outbound one was
    # usually created by our own send, so it is looked up first.
    if (
        len(parsed) == 1
        and parsed[0]["direction"] == Direction.INBOUND
        and (outcome := _create(parsed[0], source=source, sent_by=sent_by, new=new))
    ):
        report.outcomes.append(outcome)
        return
    ids = [f["message_id"] for f in parsed]
    existing = {f.message_id: f for f in Fax.objects.select_for_update().filter(message_id__in=ids)}
    fresh: dict[Any, dict[str, Any]] = {}
    for fields in parsed:
        if fields["message_id"] not in existing:
            fresh.setdefault(fields["message_id"], fields)
    bulk = _bulk_create(list(fresh.values()), source=source, sent_by=sent_by, numbers=numbers)
    for fields in parsed:
        if bulk is not None and fresh.get(fields["message_id"]) is fields:
            report.outcomes.append(bulk[fields["message_id"]])
            existing[fields["message_id"]] = bulk[fields["message_id"]].fax
            continue
        current = existing.get(fields["message_id"])
        if current is None:
            outcome = _create(fields, source=source, sent_by=sent_by)
            if outcome is None:  # created concurrently by another worker since our select
                current = Fax.objects.select_for_update().get(message_id=fields["message_id"])
            else:
                existing[fields["message_id"]] = outcome.fax
                report.outcomes.append(outcome)
                continue
        outcome = _update(current, fields, source=source, sent_by=sent_by, numbers=numbers)
        if outcome.stale and record_stale and not _stale_recorded(current, fields, source):
            _add_event(
                current,
                source=source,
                status=fields["status"],
                pages_complete=fields["pages_complete"],
                applied=False,
                note="older than the cached state; not applied",
            )
        report.outcomes.append(outcome)


def _stale_recorded(fax: Fax, fields: dict[str, Any], source: str) -> bool:
    """Whether the same stale report is already on the timeline (a redelivered webhook must
    not add it twice). The fax row is locked, so this check does not race."""
    return FaxEvent.objects.filter(
        fax=fax,
        source=source,
        applied=False,
        status=fields["status"],
        pages_complete=fields["pages_complete"],
    ).exists()


def _bulk_create(
    rows: list[dict[str, Any]],
    *,
    source: str,
    sent_by: AbstractBaseUser | None,
    numbers: _NumberLookup,
) -> dict[Any, MergeOutcome] | None:
    """Create several new faxes in two statements (a sync page is mostly new faxes).

    None when one of them was created meanwhile by another worker: the caller then takes
    the one-by-one path, which handles that race row by row.
    """
    if len(rows) < 2:
        return None
    sender = sent_by.pk if sent_by is not None else None
    for fields in rows:
        fields["number_id"] = numbers.for_number(_our_number(fields))
        fields["sent_by_id"] = sender
    try:
        with transaction.atomic():
            insert_rows(Fax, rows)
    except IntegrityError:
        return None
    pks = dict(
        Fax.objects.filter(message_id__in=[f["message_id"] for f in rows]).values_list(
            "message_id", "pk"
        )
    )
    created = [Fax(pk=pks[fields["message_id"]], **fields) for fields in rows]
    insert_rows(
        FaxEvent,
        (
            {
                "fax_id": fax.pk,
                "source": source,
                "status": fax.status,
                "pages_complete": fax.pages_complete,
                "note": "first seen",
            }
            for fax in created
        ),
    )
    return {fax.message_id: MergeOutcome(fax=fax, created=True, changed=True) for fax in created}


def _our_number(fields: dict[str, Any]) -> str:
    """Inbound: the receiving number; outbound: the caller id."""
    if fields["direction"] == Direction.INBOUND:
        return fields["fax_number"]
    return fields["fax_caller_id"]


def _create(
    fields: dict[str, Any],
    *,
    source: str,
    sent_by: AbstractBaseUser | None,
    new: PreparedInsert | None = None,
) -> MergeOutcome | None:
    """Insert a fax not in the cache with its first timeline event; None if it is there
    (created concurrently since the caller looked, or the caller did not look)."""
    insert = new or fax_prepare_insert(fields, sent_by=sent_by)
    if not insert.execute():
        return None
    fax = insert.instance
    _add_event(
        fax,
        source=source,
        status=fax.status,
        pages_complete=fax.pages_complete,
        note="first seen",
    )
    return MergeOutcome(fax=fax, created=True, changed=True)


def _add_event(
    fax: Fax,
    *,
    source: str,
    status: str,
    pages_complete: int | None,
    applied: bool = True,
    note: str = "",
) -> None:
    event = FaxEvent(
        fax=fax,
        source=source,
        status=status,
        pages_complete=pages_complete,
        applied=applied,
        note=note,
    )
    insert_instance(event)


def _update(
    fax: Fax,
    fields: dict[str, Any],
    *,
    source: str,
    sent_by: AbstractBaseUser | None,
    numbers: _NumberLookup,
) -> MergeOutcome:
    old_status, old_pages = fax.status, fax.pages_complete
    stale = is_stale(fax, fields)
    changed = [] if stale else _apply_report(fax, fields)
    # Who sent it and from which of our numbers are the portal's to record, even from a stale
    # report: our own send's answer often arrives after the provider's webhook moved the fax
    # on, and the sender must still see the fax.
    attributed = []
    if sent_by is not None and fax.sent_by_id is None:
        fax.sent_by = sent_by
        attributed.append("sent_by")
    if fax.number_id is None and (number_id := numbers.for_fax(fax)) is not None:
        fax.number_id = number_id
        attributed.append("number")
    if changed or attributed:
        fax.save(update_fields=[*changed, *attributed, "updated_at"])
    if stale:
        return MergeOutcome(fax=fax, stale=True)
    if not changed and not attributed:
        return MergeOutcome(fax=fax)
    if fax.status != old_status or (fax.pages_complete or 0) > (old_pages or 0):
        _add_event(fax, source=source, status=fax.status, pages_complete=fax.pages_complete)
    return MergeOutcome(fax=fax, changed=True)


def _apply_report(fax: Fax, fields: dict[str, Any]) -> list[str]:
    """Set the provider's fields of a report that is not stale; returns those that changed.
    A report without a creation time or with fewer pages done keeps the cached ones."""
    if fields["created_at"] is None:
        fields["created_at"] = fax.created_at
    if fields["pages_complete"] is None or (
        fax.pages_complete is not None and fields["pages_complete"] < fax.pages_complete
    ):
        fields["pages_complete"] = fax.pages_complete
    changed = [name for name in _PROVIDER_FIELDS if getattr(fax, name) != fields[name]]
    for name in changed:
        setattr(fax, name, fields[name])
    return changed


class _NumberLookup:
    """The id of our FaxNumber for a fax (inbound: the receiving number; outbound: the
    caller id)."""

    def __init__(self) -> None:
        self._cache: dict[str, int | None] = {}

    def for_fax(self, fax: Fax) -> int | None:
        return self.for_number(
            fax.fax_number if fax.direction == Direction.INBOUND else fax.fax_caller_id
        )

    def for_number(self, e164: str) -> int | None:
        if not e164:
            return None
        if e164 not in self._cache:
            # Every webhook asks this once: plain SQL, which the ORM took ten times as long
            # to compile as the database to answer.
            with connection.cursor() as cursor:
                cursor.execute(_NUMBER_ID_SQL, [e164, FaxNumber.State.REMOVED])
                row = cursor.fetchone()
            self._cache[e164] = row[0] if row else None
        return self._cache[e164]


_NUMBER_ID_SQL = (
    f"SELECT id FROM {FaxNumber._meta.db_table} "  # noqa: S608 (a model's name, no input)
    "WHERE number = %s AND state <> %s ORDER BY id LIMIT 1"
)


def faxes_link_number(number: FaxNumber) -> int:
    """Link cached faxes to a number the cache just learned about; returns how many."""
    return (
        Fax.objects.filter(
            number__isnull=True, direction=Direction.INBOUND, fax_number=number.number
        ).update(number=number)
    ) + (
        Fax.objects.filter(
            number__isnull=True, direction=Direction.OUTBOUND, fax_caller_id=number.number
        ).update(number=number)
    )
