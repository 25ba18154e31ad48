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
    MalformedResponseError,
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


def may_have_happened(exc: DrenfaxError) -> bool:
    """Whether the call that raised `exc` may have been carried out by Drenfax: no answer
    came (never for a connection refused), a 5xx, or a 2xx that could not be read."""
    if isinstance(exc, TransportError):
        return exc.request_sent
    return isinstance(exc, MalformedResponseError | ServerError)


def not_done(exc: DrenfaxError, refused: str) -> str:
    """What a page says when an action's call raised: `refused` ("The fax was not
    cancelled.") and why, unless Drenfax may have done it after all."""
    if not may_have_happened(exc):
        return f"{refused} {describe_error(exc)}"
    log.warning("Drenfax API, outcome unknown: %s", exc)
    if isinstance(exc, ServerError):
        why = f"Drenfax had a problem on its side (error {exc.status_code})"
    elif isinstance(exc, MalformedResponseError):
        why = "Drenfax's answer could not be read"
    else:
        why = "Drenfax did not answer in time"
    return f"{why}, and it may have been done anyway: look again in a minute before retrying."


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
