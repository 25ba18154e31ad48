"""The portal's one way to reach the Drenfax API: a client configured from settings."""

from __future__ import annotations

import logging
from math import ceil

from django.conf import settings

from drenfax_portal.client import (
    AuthenticationError,
    DrenfaxClient,
    DrenfaxError,
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
)

log = logging.getLogger(__name__)


def get_client() -> DrenfaxClient:
    """A client for the configured API (the embedded sandbox unless DRENFAX_API_URL is set)."""
    return DrenfaxClient(
        settings.DRENFAX_API_URL,
        settings.DRENFAX_API_KEY,
        timeout=settings.DRENFAX_TIMEOUT,
    )


def describe_error(exc: DrenfaxError) -> str:
    """A failure in plain words for the page; the technical message goes to the log."""
    log.warning("Drenfax API: %s", exc)
    if isinstance(exc, TransportError):
        return "Drenfax could not be reached (a network problem or a timeout). Try again shortly."
    if isinstance(exc, RateLimitedError):
        wait = f" in {ceil(exc.retry_after)} seconds" if exc.retry_after else " shortly"
        return f"Drenfax asked the portal to slow down. Try again{wait}."
    if isinstance(exc, AuthenticationError):
        return "Drenfax refused the portal's API key. Tell your administrator."
    if isinstance(exc, NotAllowedError):
        reason = f": {exc.detail}" if exc.detail else "."
        return f"Drenfax did not allow this{reason}"
    if isinstance(exc, NotFoundError):
        return "Drenfax has no record of this (it may have been deleted)."
    if isinstance(exc, ServerError):
        return f"Drenfax had a problem on its side (error {exc.status_code}). Try again later."
    if isinstance(exc, InvalidInputError) and exc.status_code is None:
        return str(exc)  # our own check, already in plain words
    return exc.detail or str(exc)
