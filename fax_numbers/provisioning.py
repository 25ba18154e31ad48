"""Provisioning numbers without ever provisioning twice.

The confirmation page carries a one-time key; `provisioning_claim` writes the request down
under it before anything is sent, so a second post with that key shows the first's result.
`provisioning_execute` makes the one API call: "done", "failed", or "unknown" when the
request may have reached Drenfax (then the numbers list tells, never a retry).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from drenfax_portal.api import describe_error
from drenfax_portal.client import (
    DrenfaxClient,
    DrenfaxError,
    MalformedResponseError,
    ServerError,
    TransportError,
)
from drenfax_portal.uuids import parse_uuid
from fax_numbers.models import Provisioning
from fax_numbers.services import number_upsert

log = logging.getLogger(__name__)

# A request still "submitting" after this long lost its process mid-call: its outcome is
# unknown, and its page stops waiting.
STALE_AFTER = timedelta(minutes=2)


def provisioning_claim(
    *,
    key: uuid.UUID,
    user: AbstractBaseUser,
    kind: str,
    numbers: Sequence[str] = (),
    quantity: int | None = None,
) -> tuple[Provisioning, bool]:
    """Write the request down before calling Drenfax; (provisioning, True) if this call made
    it, False for a key already used (show its result, do not call). Another user's key: 404."""
    try:
        with transaction.atomic():
            provisioning = Provisioning.objects.create(
                key=key,
                user=user,
                kind=kind,
                numbers=list(numbers) if kind == Provisioning.Kind.ORDER else [],
                quantity=None if kind == Provisioning.Kind.ORDER else (quantity or 1),
            )
        return provisioning, True
    except IntegrityError:
        provisioning = Provisioning.objects.get(key=key)
        if provisioning.user_id != user.pk:
            raise Http404("No such request") from None
        return provisioning, False


def provisioning_execute(*, client: DrenfaxClient, provisioning: Provisioning) -> Provisioning:
    """Make the request's one API call and record what came of it."""
    try:
        answer = client.provision_numbers(
            provisioning.kind, numbers=provisioning.numbers, quantity=provisioning.quantity
        )
    except TransportError as exc:
        if not exc.request_sent:
            return _finish(provisioning, Provisioning.State.FAILED, error=describe_error(exc))
        log.warning("provisioning %s: %s", provisioning.key, exc)
        text = "Drenfax did not answer in time (a network problem or a timeout)."
        return _finish(provisioning, Provisioning.State.UNKNOWN, error=text)
    except ServerError as exc:
        log.warning("provisioning %s: %s", provisioning.key, exc)
        text = f"Drenfax had a problem on its side (error {exc.status_code})."
        return _finish(provisioning, Provisioning.State.UNKNOWN, error=text)
    except MalformedResponseError as exc:
        # A 2xx whose body could not be read (a proxy's page, an odd shape): the numbers
        # have probably been bought.
        log.warning("provisioning %s: %s", provisioning.key, exc)
        text = "Drenfax accepted the request, but its answer could not be read."
        return _finish(provisioning, Provisioning.State.UNKNOWN, error=text)
    except DrenfaxError as exc:
        return _finish(provisioning, Provisioning.State.FAILED, error=describe_error(exc))
    with transaction.atomic():
        # A row without a usable uuid cannot be stored; the next numbers sync lists it.
        uuids = [str(number_upsert(n.raw).uuid) for n in answer if parse_uuid(n.uuid)]
        if not uuids:
            return _finish(
                provisioning,
                Provisioning.State.UNKNOWN,
                error="Drenfax accepted the request but listed no numbers.",
            )
        return _finish(provisioning, Provisioning.State.DONE, results=uuids)


def _finish(
    provisioning: Provisioning, state: str, *, error: str = "", results: list[str] | None = None
) -> Provisioning:
    provisioning.state = state
    provisioning.error = error[:1000]
    provisioning.results = results or []
    provisioning.completed_at = timezone.now()
    provisioning.save(update_fields=["state", "error", "results", "completed_at"])
    if state == Provisioning.State.UNKNOWN:
        log.warning("provisioning %s: outcome unknown (%s)", provisioning.key, error)
    return provisioning


def provisioning_is_waiting(provisioning: Provisioning) -> bool:
    """Whether another request is still waiting for Drenfax's answer (the page polls)."""
    return (
        provisioning.state == Provisioning.State.SUBMITTING
        and timezone.now() - provisioning.created_at < STALE_AFTER
    )
