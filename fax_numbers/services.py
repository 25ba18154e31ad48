"""Writes to the numbers cache."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from drenfax_portal.client import DrenfaxClient
from drenfax_portal.client import FaxNumber as ApiNumber
from drenfax_portal.uuids import parse_uuid
from fax_numbers.models import FaxNumber, StorageCredential
from fax_numbers.phone import to_e164

log = logging.getLogger(__name__)


def split_storage(value: Any) -> tuple[dict[str, Any], str | None]:
    """Storage settings (a dict or the provider's JSON string) without the password, and it."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError:
            value = {}
    if not isinstance(value, dict):
        return {}, None
    settings = dict(value)
    password = settings.pop("password", None)
    return settings, (str(password) if password not in (None, "") else None)


@transaction.atomic
def number_upsert(raw: dict[str, Any]) -> FaxNumber:
    """Create or update a cached number from the provider's number object (faxes that came
    before it are linked by `faxes.services.sync.faxes_link_numbers`: this app knows nothing
    of faxes)."""
    api = ApiNumber.from_api(raw)
    number_uuid = parse_uuid(api.uuid)
    if number_uuid is None:
        raise ValueError("number object without a uuid")
    storage, password = split_storage(raw.get("storage"))
    api_user_ids = [u.user_id for u in api.users or [] if u.user_id]
    if api.pending_until:
        state = FaxNumber.State.PENDING
    elif api_user_ids:
        state = FaxNumber.State.ASSIGNED
    else:
        state = FaxNumber.State.AVAILABLE
    defaults: dict[str, Any] = {
        "number": to_e164(str(raw.get("number_e164") or api.number or "")),
        "state": state,
        "pending_until": api.pending_until,
        "owned_by": parse_uuid(api.owned_by),
        "managed_by": parse_uuid(api.managed_by),
        "manager_name": ((api.manager and api.manager.account_name) or "")[:200],
        "provider_created_at": api.created_at,
        "api_user_ids": api_user_ids,
        "raw": raw,
        "synced_at": timezone.now(),
    }
    if "storage" in raw:  # kept without the password, here and in `raw`
        defaults["storage"] = storage
        defaults["raw"] = {**raw, "storage": storage}
    number, _ = FaxNumber.objects.update_or_create(uuid=number_uuid, defaults=defaults)
    if password is not None:
        StorageCredential.objects.update_or_create(number=number, defaults={"password": password})
    return number


def number_apply_answer(*, number: FaxNumber, raw: dict[str, Any]) -> FaxNumber:
    """Update a cached number from a partial answer about it (add-user and settings answers
    leave out `managedBy`, `owner`...), laid over what the cache knew. Such an answer never
    brings a released number back: only the numbers list says when one is."""
    pending = FaxNumber.objects.filter(pk=number.pk, state=FaxNumber.State.PENDING).exists()
    merged = {"number": number.number, **number.raw, **raw, "uuid": str(number.uuid)}
    updated = number_upsert(merged)
    if pending and updated.state != FaxNumber.State.PENDING:
        FaxNumber.objects.filter(pk=updated.pk).update(state=FaxNumber.State.PENDING)
        updated.state = FaxNumber.State.PENDING
    return updated


def numbers_sync(*, client: DrenfaxClient, page_size: int = 100) -> int:
    """Refresh the numbers cache from the account's numbers list; returns how many."""
    started = timezone.now()
    seen = []
    unreadable = 0
    offset = 0
    while True:
        page = client.list_numbers(
            account_id=settings.DRENFAX_ACCOUNT_ID or None, offset=offset, limit=page_size
        )
        for row in page.rows:
            if parse_uuid(row.uuid) is None:
                unreadable += 1
                log.warning("numbers sync: a row without a usable uuid: %r", row.raw)
                continue
            seen.append(number_upsert(row.raw).uuid)
        offset += len(page.rows)
        if not page.rows or offset >= page.count:
            break
    if unreadable:
        return len(seen)  # any cached number may be one of those rows: none is removed
    # Numbers no longer on the account's list stay cached (for their faxes) as removed;
    # one stored meanwhile (just provisioned) was not on the list this sync read.
    missing = FaxNumber.objects.exclude(uuid__in=seen).filter(synced_at__lt=started)
    missing.exclude(state=FaxNumber.State.REMOVED).update(
        state=FaxNumber.State.REMOVED, synced_at=timezone.now()
    )
    return len(seen)
