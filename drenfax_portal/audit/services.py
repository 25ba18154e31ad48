"""Recording the audit trail: `audit_record()` and, around an action that may fail, `audited()`.

The acting user and their address come from the current request (AuditContextMiddleware);
pass `request=` or `user=` where there is none (management commands, signals).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from drenfax_portal.audit.models import ACTIONS, AuditEvent
from drenfax_portal.security import redact

# Set by AuditContextMiddleware around each view.
current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)

# Details are a few plain facts; a value is never longer than this.
_MAX_DETAIL_TEXT = 200
_MAX_DETAILS = 20
_SECRET_KEYS = ("password", "secret", "token", "key", "auth", "credential")


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address the nearest one put in
    X-Forwarded-For (counted from the right: the left end is whatever the client sent)."""
    remote = _valid_ip(request.META.get("REMOTE_ADDR", ""))
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= count:
            return _valid_ip(hops[-count]) or remote
    return remote


def _valid_ip(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.7:51234
        value = value.partition(":")[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


# How the portal's URLs name these objects; anything else goes by its primary key. (Never
# guess from attribute names: a TOTP device's `key` is its secret.)
_PUBLIC_IDS = {
    "faxes.fax": "message_id",
    "faxes.submission": "key",
    "numbers.faxnumber": "uuid",
    "numbers.provisioning": "key",
}


def _identify(target: models.Model) -> tuple[str, str]:
    label = target._meta.label_lower
    return label, str(getattr(target, _PUBLIC_IDS.get(label, "pk")))


def _clean_details(details: Mapping[str, Any] | None) -> dict[str, Any]:
    """Small JSON: plain values, trimmed, with anything secret-looking left out."""
    cleaned: dict[str, Any] = {}
    for name, value in list((details or {}).items())[:_MAX_DETAILS]:
        name = str(name)[:64]
        if any(part in name.lower() for part in _SECRET_KEYS) and not isinstance(value, bool):
            continue  # "new_password": True may say that it changed, never what it is
        cleaned[name] = _clean_value(value)
    return cleaned


def _clean_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean_value(v) for v in list(value)[:_MAX_DETAILS]]
    return redact(str(value))[:_MAX_DETAIL_TEXT]


def audit_record(
    action: str,
    *,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    success: bool = True,
    details: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
    username: str = "",
) -> AuditEvent:
    """Append one event (`action` one of ACTIONS) to the audit trail and return it.

    `details` are a few plain facts, never secrets or document content. The actor is `user`,
    else the request's user; `username` names who tried when nobody is signed in.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; add it to ACTIONS")
    request = request if request is not None else current_request.get()
    if user is None and request is not None:
        user = getattr(request, "user", None)
    actor_id, actor_name = None, username
    if user is not None and user.is_authenticated:
        actor_id, actor_name = user.pk, user.get_username()
    if target is not None:
        object_type, object_id = _identify(target)
    return AuditEvent.objects.create(
        actor_id=actor_id,
        username=str(actor_name or "")[:150],
        ip=client_ip(request) if request is not None else None,
        action=action,
        object_type=object_type[:64],
        object_id=str(object_id)[:64],
        outcome=AuditEvent.Outcome.SUCCESS if success else AuditEvent.Outcome.FAILURE,
        details=_clean_details(details),
    )


@contextmanager
def audited(
    action: str, target: models.Model | None = None, **details: Any
) -> Iterator[dict[str, Any]]:
    """Record `action` once the block ends: a success, or a failure naming the error's kind
    (then the error goes on as before). The block may add details to the yielded dict."""
    facts = dict(details)
    try:
        yield facts
    except Exception as exc:
        status = getattr(exc, "status_code", None)
        error = {"error": type(exc).__name__, **({"status": status} if status else {})}
        audit_record(action, target=target, success=False, details={**facts, **error})
        raise
    audit_record(action, target=target, details=facts)


def audit_events_purge(*, now: datetime | None = None) -> int:
    """Delete events older than AUDIT_RETENTION_DAYS (the one way rows leave the trail).

    On PostgreSQL a trigger refuses every UPDATE and DELETE on the table unless the
    transaction says it is this purge (SET LOCAL drenfax.audit_purge).
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.AUDIT_RETENTION_DAYS)

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL drenfax.audit_purge = 'on'")
        old = AuditEvent.objects.filter(at__lt=cutoff)
        deleted, _ = models.QuerySet.delete(old)
    if deleted:
        audit_record(
            "audit.purged",
            details={"events": deleted, "older_than": cutoff.date().isoformat()},
        )
    return deleted
