"""The portal's one way to reach the Drenfax API: a client configured from settings."""

from __future__ import annotations

from django.conf import settings

from drenfax_portal.client import DrenfaxClient
from faxes.ratelimit import DatabaseRateLimiter


def history_rate_limiter() -> DatabaseRateLimiter:
    """The shared limiter for the history endpoint (8 calls per 60 s by default).

    A small margin on the window absorbs the time between taking a token here and the
    request reaching the provider, so a burst never lands as a ninth call in its window.
    """
    rate, per = settings.DRENFAX_HISTORY_RATE
    return DatabaseRateLimiter(rate, per + min(0.25, per * 0.01))


def get_client() -> DrenfaxClient:
    """A client for the configured API (the embedded sandbox unless DRENFAX_API_URL is set)."""
    return DrenfaxClient(
        settings.DRENFAX_API_URL,
        settings.DRENFAX_API_KEY,
        timeout=settings.DRENFAX_TIMEOUT,
        rate_limiter=history_rate_limiter(),
    )
