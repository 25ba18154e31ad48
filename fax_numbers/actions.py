"""What staff can do to a number: assign people, storage settings, manager, release.

Each goes through the API client first; the cache changes only when Drenfax said yes, so an
API failure (a `DrenfaxError`, raised to the caller) leaves everything as it was.
"""

from __future__ import annotations

import json
import logging
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from drenfax_portal.accounts.services import profile_for
from drenfax_portal.api import may_have_happened
from drenfax_portal.client import (
    DrenfaxClient,
    DrenfaxError,
    InvalidInputError,
    NotFoundError,
)
from fax_numbers.models import FaxNumber, StorageCredential
from fax_numbers.services import number_apply_answer, number_upsert

log = logging.getLogger(__name__)

REDACTED = "********"


def _drenfax_id(user: AbstractBaseUser) -> str | None:
    user_id = profile_for(user).drenfax_user_id
    return str(user_id) if user_id else None


def number_assign_user(*, client: DrenfaxClient, number: FaxNumber, user: AbstractBaseUser) -> bool:
    """Give a portal user a number, at Drenfax too when they have a Drenfax user id; returns
    whether Drenfax was told. If Drenfax refuses, the error propagates and nothing changes."""
    drenfax_id = _drenfax_id(user)
    answer = client.add_number_user(str(number.uuid), drenfax_id) if drenfax_id else None
    try:
        with transaction.atomic():
            number.assigned_users.add(user)
            if answer is not None:
                number_apply_answer(number=number, raw=answer.raw)
    except Exception:
        # The portal could not record it: undo the Drenfax side, so both still agree.
        if drenfax_id:
            try:
                client.remove_number_user(str(number.uuid), drenfax_id)
            except DrenfaxError as exc:
                log.error("number %s: could not undo adding user %s: %s", number, drenfax_id, exc)
        raise
    return answer is not None


def number_unassign_user(
    *, client: DrenfaxClient, number: FaxNumber, user: AbstractBaseUser
) -> bool:
    """Take a number away from a portal user, at Drenfax too when they have a Drenfax user
    id; returns whether Drenfax was asked. If Drenfax refuses, the assignment stays."""
    drenfax_id = _drenfax_id(user)
    if drenfax_id:
        try:
            client.remove_number_user(str(number.uuid), drenfax_id)
        except NotFoundError:
            # Drenfax does not list this user on the number: nothing to undo there.
            log.info("number %s: user %s was not assigned at Drenfax", number, drenfax_id)
    with transaction.atomic():
        number.assigned_users.remove(user)
        if drenfax_id:
            users = [
                u
                for u in number.raw.get("users") or []
                if not (isinstance(u, dict) and str(u.get("userId", "")).lower() == drenfax_id)
            ]
            number_apply_answer(number=number, raw={"users": users})
    return drenfax_id is not None


def _redact(exc: DrenfaxError, secret: str) -> None:
    """Take a secret out of an error's text (in case the provider repeats what it was sent)."""
    spellings = {secret, json.dumps(secret)[1:-1]}
    for attr in ("message", "detail"):
        text = getattr(exc, attr, None)
        if text:
            for spelling in spellings:
                text = text.replace(spelling, REDACTED)
            setattr(exc, attr, text)
    exc.args = (exc.message,)


@sensitive_variables("password", "storage")
def number_update_storage(
    *,
    client: DrenfaxClient,
    number: FaxNumber,
    protocol: str,
    host: str,
    port: int,
    user: str,
    password: str | None,
    output_dir: str = "",
) -> FaxNumber:
    """Save a number's FTP/SFTP storage settings at Drenfax, then in the cache.

    No `password` keeps the stored one. It is stored apart (StorageCredential) and never
    logged, even inside an error from the provider.
    """
    if not password:
        password = (
            StorageCredential.objects.filter(number=number)
            .values_list("password", flat=True)
            .first()
        )
        if not password:
            raise ValueError("a password is required: none is stored for this number")
    storage = {"protocol": protocol, "host": host, "port": port, "user": user}
    if output_dir:
        storage["outputDirPath"] = output_dir
    try:
        answer = client.update_number(str(number.uuid), storage={**storage, "password": password})
    except DrenfaxError as exc:
        _redact(exc, password)
        raise
    with transaction.atomic():
        # Drenfax's answer holds the settings as it stored them; what we sent stands in
        # when the answer leaves them out.
        number = number_apply_answer(number=number, raw={"storage": storage, **answer.raw})
        StorageCredential.objects.update_or_create(number=number, defaults={"password": password})
    return number


def number_set_manager(
    *, client: DrenfaxClient, number: FaxNumber, managed_by: uuid.UUID
) -> FaxNumber:
    """Change the Drenfax account that manages a number."""
    answer = client.update_number(str(number.uuid), managed_by=str(managed_by))
    # Without a `manager` object in the answer the old manager's name would stay: drop it
    # until the next sync names the new one.
    known = {"managedBy": str(managed_by), "manager": {"uuid": str(managed_by)}}
    return number_apply_answer(number=number, raw={**known, **answer.raw})


def number_release(*, client: DrenfaxClient, number: FaxNumber) -> FaxNumber:
    """Release a number: Drenfax keeps it pending a while, and members lose it. The release
    answers nothing useful, so the pending-until date is read back from the numbers list.

    When the release seems to fail but may have happened (a timeout, a 5xx), or happened
    already (a refusal after a double click or a retry), the list says: a number listed as
    pending is released; otherwise the error is raised."""
    try:
        client.release_number(str(number.uuid))
    except DrenfaxError as exc:
        # A refusal may answer an earlier release (a double click, a retry).
        maybe = may_have_happened(exc) or isinstance(exc, InvalidInputError)
        if not (maybe and _read_back_pending(client, number)):
            raise
    else:
        FaxNumber.objects.filter(pk=number.pk).update(state=FaxNumber.State.PENDING)
        _read_back_pending(client, number)
    number.refresh_from_db()
    return number


def _read_back_pending(client: DrenfaxClient, number: FaxNumber) -> bool:
    """Store the number as Drenfax's pending list has it; whether it is listed there."""
    digits = "".join(ch for ch in number.national if ch.isdigit())
    try:
        page = client.list_numbers(
            account_id=settings.DRENFAX_ACCOUNT_ID or None, type="pending", query=digits
        )
    except DrenfaxError as exc:
        log.warning("number %s: reading its pending date failed: %s", number, exc)
        return False
    for row in page.rows:
        if row.uuid and row.uuid.lower() == str(number.uuid) and row.pending_until:
            number_upsert(row.raw)
            return True
    return False
