"""A database-backed rate limiter and worker lease, shared by every portal process.

The provider allows 8 history calls per minute per account. Every process that may call it
(sync workers, management commands) takes a token here first, so together they never exceed
the limit in any window, whatever the number of processes.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from faxes.models import RateLimitBucket, RateLimitToken, WorkerLease

log = logging.getLogger(__name__)


class DatabaseRateLimiter:
    """At most `rate` acquisitions per key in any `per`-second sliding window.

    The bucket row is locked for the decision (SELECT ... FOR UPDATE on PostgreSQL; SQLite's
    IMMEDIATE transactions serialise writers), so concurrent processes agree on the count.

    Each token is dated to a moment its request cannot have reached the provider after:
    `hold` seconds (the longest a request may take) after it is taken, until `completed`
    dates it to the request's end. A decision made while another process's request is on
    its way then never counts that request as earlier than it was.
    """

    def __init__(
        self,
        rate: int = 8,
        per: float = 60.0,
        *,
        hold: float = 0.0,
        now: Callable[[], datetime] = timezone.now,
    ) -> None:
        if rate < 1 or per <= 0 or hold < 0:
            raise ValueError("rate must be >= 1, per > 0 and hold >= 0")
        self.rate = rate
        self.per = per
        self.hold = hold
        self._now = now
        # When this process was first told to wait for a key, to record how long it waited.
        self._denied_since: dict[str, datetime] = {}
        self._taken = threading.local()  # the token this thread took last: (key, pk)

    def try_acquire(self, key: str) -> float:
        """Take a token and return 0.0, or take nothing and return the seconds to wait.

        This is the client's `RateLimiter` interface: it never blocks; the client waits.
        """
        wait, token = self._try_take(key, self._denied_since.get(key))
        if wait > 0:
            self._denied_since.setdefault(key, self._now())
            log.info("rate limit for %s: next token in %.2fs", key, wait)
        else:
            self._denied_since.pop(key, None)
            self._taken.token = (key, token)
        return wait

    def completed(self, key: str) -> None:
        """Re-date this thread's last token to now, when its request has finished.

        The provider counts a call when it arrives, some time after the token was taken;
        measuring the window from the request's end (an upper bound of its arrival) keeps a
        slow request from letting the next window's calls land inside the provider's.
        """
        taken = getattr(self._taken, "token", None)
        if taken is None or taken[0] != key:
            return
        self._taken.token = None
        RateLimitToken.objects.filter(pk=taken[1]).update(taken_at=self._now())

    def reserve(self, key: str, *, within: float = 0.0) -> tuple[float, int | None]:
        """Take a token for a request that another thread will make, now or once a token
        frees up within `within` seconds: `(seconds to wait before sending, token)`, or
        `(seconds until a token is free, None)` when that is later.

        The token counts from `hold` seconds after its turn until `settle` dates it to the
        moment the request ended (the other thread need not write to the database, which on
        SQLite would wait for this thread's transaction); a token whose request was never
        sent is given back with `release`.
        """
        return self._try_take(key, None, within=within)

    def settle(self, token: int, at: datetime) -> None:
        """Date a reserved token to when its request ended (see `completed`)."""
        RateLimitToken.objects.filter(pk=token).update(taken_at=at)

    def release(self, token: int) -> None:
        """Give back a reserved token whose request was never sent."""
        RateLimitToken.objects.filter(pk=token).delete()

    def penalize(self, key: str, seconds: float) -> None:
        """Record a pause the provider asked for (a 429 with Retry-After)."""
        until = self._now() + timedelta(seconds=max(seconds, 0.0))
        with transaction.atomic():
            bucket = self._bucket(key)
            if bucket.blocked_until is None or bucket.blocked_until < until:
                bucket.blocked_until = until
                bucket.save(update_fields=["blocked_until"])

    def waits_since(self, key: str, since: datetime) -> int:
        """How many tokens had to wait since a time (for the health panel)."""
        return RateLimitToken.objects.filter(key=key, taken_at__gte=since, waited__gt=0).count()

    def _try_take(
        self, key: str, denied_since: datetime | None, *, within: float = 0.0
    ) -> tuple[float, int | None]:
        """Take a token for a call made now, or reserve the first one that frees up within
        `within` seconds: (0 or the seconds until it is free, its pk), dated `hold` seconds
        after that; or (seconds to wait before trying again, None)."""
        with transaction.atomic():
            bucket = self._bucket(key)
            now = self._now()
            if bucket.blocked_until and bucket.blocked_until > now:
                return (bucket.blocked_until - now).total_seconds(), None
            window_start = now - timedelta(seconds=self.per)
            # Tokens older than an hour are only kept for the health panel's count.
            RateLimitToken.objects.filter(key=key, taken_at__lt=now - timedelta(hours=1)).delete()
            recent = list(
                RateLimitToken.objects.filter(key=key, taken_at__gt=window_start)
                .order_by("-taken_at")
                .values_list("taken_at", flat=True)[: self.rate]
            )
            # The oldest of the last `rate` tokens leaves the window first.
            wait = 0.0 if len(recent) < self.rate else (recent[-1] - window_start).total_seconds()
            if len(recent) < self.rate or wait <= within:
                waited = (now - denied_since).total_seconds() if denied_since else wait
                at = now + timedelta(seconds=wait + self.hold)
                token = RateLimitToken.objects.create(key=key, taken_at=at, waited=waited)
                return wait, token.pk
            return max(wait, 0.001), None

    @staticmethod
    def _bucket(key: str) -> RateLimitBucket:
        bucket, _ = RateLimitBucket.objects.select_for_update().get_or_create(key=key)
        return bucket


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def lease_acquire(name: str, holder: str, *, ttl: float) -> bool:
    """Take or renew a named lease; False while another holder's lease is still valid."""
    now = timezone.now()
    expires = now + timedelta(seconds=ttl)
    WorkerLease.objects.get_or_create(name=name)
    taken = WorkerLease.objects.filter(
        Q(holder=holder) | Q(expires_at__isnull=True) | Q(expires_at__lt=now), name=name
    ).update(holder=holder, expires_at=expires)
    return taken == 1


def lease_release(name: str, holder: str) -> None:
    WorkerLease.objects.filter(name=name, holder=holder).update(holder="", expires_at=None)
