"""A database-backed rate limiter, shared by every portal process.

The provider allows 8 history calls per minute per account; every caller takes a token here
first (`history_limiter().token(account_id)`), so all processes together stay under it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from drenfax_portal.client import RateLimitedError
from faxes.models import RateLimitBucket, RateLimitToken

log = logging.getLogger(__name__)


class DatabaseRateLimiter:
    """At most `rate` tokens per key in any `per`-second sliding window. The bucket row is
    locked for the decision, so concurrent processes agree on the count."""

    def __init__(self, rate: int, per: float, *, now: Callable[[], datetime] = timezone.now):
        if rate < 1 or per <= 0:
            raise ValueError("rate must be >= 1 and per > 0")
        self.rate = rate
        self.per = per
        self._now = now
        # When this process was first refused a token per key, to record how long it waited.
        self._denied_since: dict[str, datetime] = {}

    @contextmanager
    def token(self, key: str) -> Iterator[None]:
        """Make one rate-limited call in the block, or raise `RateLimitedError` at once with
        `retry_after`. The token is dated again at the end of the block: the provider counts
        a call when it arrives, which is never later than that."""
        wait, pk = self._try_take(key)
        if pk is None:
            self._denied_since.setdefault(key, self._now())
            log.info("rate limit for %s: next token in %.2fs", key, wait)
            raise RateLimitedError(
                f"the portal's limit of {self.rate} calls per {self.per:g} s for {key} is "
                f"used up; retry in {wait:.0f} s",
                retry_after=wait,
            )
        try:
            yield
        finally:
            RateLimitToken.objects.filter(pk=pk).update(taken_at=self._now())

    def penalize(self, key: str, seconds: float) -> None:
        """Record a pause the provider asked for (a 429 with Retry-After)."""
        pause(key, seconds, now=self._now())

    def waits_since(self, key: str, since: datetime) -> int:
        """How many tokens had to wait since a time (for the health panel)."""
        return RateLimitToken.objects.filter(key=key, taken_at__gte=since, waited__gt=0).count()

    def _try_take(self, key: str) -> tuple[float, int | None]:
        """(0, the new token's pk), or (the seconds until a token is free, None)."""
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
            if len(recent) >= self.rate:
                # The oldest of the last `rate` tokens leaves the window first.
                return max((recent[-1] - window_start).total_seconds(), 0.001), None
            denied_since = self._denied_since.pop(key, None)
            waited = (now - denied_since).total_seconds() if denied_since else 0.0
            return 0.0, RateLimitToken.objects.create(key=key, taken_at=now, waited=waited).pk

    @staticmethod
    def _bucket(key: str) -> RateLimitBucket:
        bucket, _ = RateLimitBucket.objects.select_for_update().get_or_create(key=key)
        return bucket


def pause(key: str, seconds: float, *, now: datetime | None = None) -> None:
    """Hold `key` for `seconds` (a 429's Retry-After); a longer pause already set stays."""
    until = (now or timezone.now()) + timedelta(seconds=max(seconds, 0.0))
    with transaction.atomic():
        bucket, _ = RateLimitBucket.objects.select_for_update().get_or_create(key=key)
        if bucket.blocked_until is None or bucket.blocked_until < until:
            bucket.blocked_until = until
            bucket.save(update_fields=["blocked_until"])


def is_paused(key: str) -> bool:
    return RateLimitBucket.objects.filter(key=key, blocked_until__gt=timezone.now()).exists()


def history_limiter() -> DatabaseRateLimiter:
    """The shared limiter of the provider's history endpoint (8 calls per 60 s by default)."""
    rate, per = settings.DRENFAX_HISTORY_RATE
    return DatabaseRateLimiter(rate, per)
