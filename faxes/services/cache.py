"""Writes to the fax cache. Every path that learns about a fax (sync, webhook, the portal's
own sends) goes through `fax_merge_payloads`, which keeps the cache order-safe: a terminal
status never changes, a status never moves backwards, `pages_complete` never decreases, and
every applied change adds one FaxEvent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from drenfax_portal.client import Fax as ApiFax
from fax_numbers.models import FaxNumber
from faxes.models import STATUS_RANK, TERMINAL_STATUSES, Fax, FaxEvent
from faxes.payload import InvalidPayload, fax_fields, search_text

log = logging.getLogger(__name__)

# Fields a provider report may change on a fax we already know (portal-side fields excluded).
# fmt: off
_PROVIDER_FIELDS = (
    "account_id", "direction", "status", "fax_number", "fax_csid", "fax_caller_id", "pages_count",
    "pages_complete", "result_code", "result_info", "error_info", "error_code", "duration",
    "fax_speed", "fax_ecm", "fax_protocol", "fax_attempt", "fax_detected", "is_archived",
    "is_file_purged", "subject", "recipient_name", "message_number", "channel_type", "created_at",
    "resolved_at", "deleted_at", "tags", "custom_fields", "raw", "search_text", "tag_list",
)
# fmt: on


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
    """Create or update cached faxes from provider fax objects (dicts or the client's `Fax`).

    Raises InvalidPayload for an object that is not a fax, unless `skip_invalid`, which logs
    and counts it instead (a sync must not stall on one odd row).
    """
    parsed, invalid = [], 0
    for payload in payloads:
        try:
            parsed.append(fax_fields(payload))
        except InvalidPayload as exc:
            if not skip_invalid:
                raise
            log.warning("skipping a fax object: %s", exc)
            invalid += 1
    report = fax_merge_fields(parsed, source=source, sent_by=sent_by, record_stale=record_stale)
    report.invalid = invalid
    return report


@transaction.atomic
def fax_merge_fields(
    parsed: list[dict[str, Any]],
    *,
    source: str,
    sent_by: AbstractBaseUser | None = None,
    record_stale: bool = False,
) -> MergeReport:
    """`fax_merge_payloads` for fax objects already read with `fax_fields`."""
    report = MergeReport()
    numbers = cache(_number_id)
    ids = [f["message_id"] for f in parsed]
    existing = {f.message_id: f for f in Fax.objects.select_for_update().filter(message_id__in=ids)}
    fresh: dict[Any, dict[str, Any]] = {}
    for fields in parsed:
        if fields["message_id"] not in existing:
            fresh.setdefault(fields["message_id"], fields)
    created = _create_all(list(fresh.values()), source=source, sent_by=sent_by, numbers=numbers)
    for fields in parsed:
        message_id = fields["message_id"]
        if fresh.get(message_id) is fields and message_id in created:
            report.outcomes.append(created[message_id])
            existing[message_id] = created[message_id].fax
            continue
        current = existing.get(message_id)
        if current is None:  # created by another worker since our select
            current = Fax.objects.select_for_update().get(message_id=message_id)
            existing[message_id] = current
        outcome = _update(current, fields, source=source, sent_by=sent_by, numbers=numbers)
        if outcome.stale and record_stale:
            _record_stale(current, fields, source)
        report.outcomes.append(outcome)
    return report


def _record_stale(fax: Fax, fields: dict[str, Any], source: str) -> None:
    """Put a stale report on the timeline, once: a redelivered webhook must not add it twice
    (the fax row is locked, so the check does not race)."""
    event = {
        "fax": fax,
        "source": source,
        "applied": False,
        "status": fields["status"],
        "pages_complete": fields["pages_complete"],
    }
    if not FaxEvent.objects.filter(**event).exists():
        FaxEvent.objects.create(**event, note="older than the cached state; not applied")


def _create_all(
    rows: list[dict[str, Any]],
    *,
    source: str,
    sent_by: AbstractBaseUser | None,
    numbers: Callable[[str], int | None],
) -> dict[Any, MergeOutcome]:
    """Create the faxes not in the cache, each with its first timeline event. A fax another
    worker created meanwhile is left out (the caller updates it instead)."""
    faxes = [
        Fax(**{**fields, "created_at": fields["created_at"] or timezone.now()}, sent_by=sent_by)
        for fields in rows
    ]
    for fax in faxes:
        fax.number_id = numbers(fax.our_number)
    try:
        with transaction.atomic():
            Fax.objects.bulk_create(faxes)
    except IntegrityError:  # one of them was created concurrently: one by one
        faxes = [fax for fax in faxes if _created_alone(fax)]
    FaxEvent.objects.bulk_create(
        FaxEvent(
            fax=fax,
            source=source,
            status=fax.status,
            pages_complete=fax.pages_complete,
            note="first seen",
        )
        for fax in faxes
    )
    return {fax.message_id: MergeOutcome(fax=fax, created=True, changed=True) for fax in faxes}


def _created_alone(fax: Fax) -> bool:
    fax.pk = None
    fax._state.adding = True
    try:
        with transaction.atomic():
            fax.save(force_insert=True)
    except IntegrityError:
        return False
    return True


def _update(
    fax: Fax,
    fields: dict[str, Any],
    *,
    source: str,
    sent_by: AbstractBaseUser | None,
    numbers: Callable[[str], int | None],
) -> MergeOutcome:
    old_status, old_pages = fax.status, fax.pages_complete
    stale = is_stale(fax, fields)
    changed = [] if stale else _apply_report(fax, fields, source=source)
    # Who sent it and from which of our numbers are the portal's to record, even from a stale
    # report: our own send's answer often arrives after the provider's webhook moved the fax
    # on, and the sender must still see the fax.
    attributed = []
    if sent_by is not None and fax.sent_by_id is None:
        fax.sent_by = sent_by
        attributed.append("sent_by")
    if fax.number_id is None and (number_id := numbers(fax.our_number)) is not None:
        fax.number_id = number_id
        attributed.append("number")
    if changed or attributed:
        fax.save(update_fields=[*changed, *attributed, "updated_at"])
    if stale:
        return MergeOutcome(fax=fax, stale=True)
    if not changed and not attributed:
        return MergeOutcome(fax=fax)
    if fax.status != old_status or (fax.pages_complete or 0) > (old_pages or 0):
        FaxEvent.objects.create(
            fax=fax, source=source, status=fax.status, pages_complete=fax.pages_complete
        )
    return MergeOutcome(fax=fax, changed=True)


def _apply_report(fax: Fax, fields: dict[str, Any], *, source: str) -> list[str]:
    """Set the provider's fields of a report that is not stale; returns those that changed.
    A report without a creation time or with fewer pages done keeps the cached ones.

    A deleted fax stays deleted (its document is gone), and a webhook does not unarchive one:
    a delivery tells what the fax was when it was sent, and the provider retries one for a
    day, so it may predate the user's archive. The sync brings a real unarchive."""
    if fax.deleted_at is not None:
        fields["deleted_at"] = fax.deleted_at
    if source == FaxEvent.Source.WEBHOOK and fax.is_archived:
        fields["is_archived"] = True
    if fields["created_at"] is None:
        fields["created_at"] = fax.created_at
    if fields["pages_complete"] is None or (
        fax.pages_complete is not None and fields["pages_complete"] < fax.pages_complete
    ):
        fields["pages_complete"] = fax.pages_complete
    # What a report leaves empty it may just not carry: the send's answer names no subject
    # nor recipient (the reference's example), a webhook may omit tags. Subject and
    # recipient do not change once a fax is sent; tags only the sync (which asks for them)
    # may empty.
    kept = [n for n in ("subject", "recipient_name") if not fields[n] and getattr(fax, n)]
    for name in kept:
        fields[name] = getattr(fax, name)
    if kept:
        fields["search_text"] = search_text(fields)
    if not fields["tags"] and fax.tags and source != FaxEvent.Source.SYNC:
        fields["tags"], fields["tag_list"] = fax.tags, fax.tag_list
    changed = [name for name in _PROVIDER_FIELDS if getattr(fax, name) != fields[name]]
    for name in changed:
        setattr(fax, name, fields[name])
    return changed


def _number_id(e164: str) -> int | None:
    """The id of our FaxNumber with this number (a fax's `our_number`); a merge caches it."""
    if not e164:
        return None
    return (
        FaxNumber.objects.filter(number=e164)
        .exclude(state=FaxNumber.State.REMOVED)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
