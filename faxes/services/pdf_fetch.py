"""Fetching the PDFs of inbound faxes a webhook reported without one (the sync worker).

Faxes are claimed with a conditional `update()`, so two workers never fetch the same PDF (a
claim older than CLAIM_TTL may be taken over), and stored with another, so a PDF that
arrived meanwhile with a webhook is kept.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, BinaryIO, Protocol

from django.db.models import F, Q
from django.utils import timezone

from faxes.models import Fax, PdfState
from faxes.services.documents import NotAPdf, delete_document, fetch_document
from faxes.services.ratelimit import is_paused, pause

log = logging.getLogger(__name__)

CLAIM_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 8
# Retry delays grow 1, 2, 4, ... minutes up to this.
MAX_BACKOFF = timedelta(hours=2)
# The provider's pause for every download (a 429's Retry-After), a rate limiter's key.
PAUSE_KEY = "pdf-downloads"


class PdfDownloader(Protocol):
    def download_fax(self, message_id: str, *, to: BinaryIO) -> int: ...


def fetch_wanted_pdfs(*, client: PdfDownloader, limit: int = 10, pk: int | None = None) -> int:
    """Fetch up to `limit` wanted PDFs (or fax `pk`'s only); returns how many were stored.

    Never raises for an API or disk error: a fax the provider does not know (404) is marked
    `failed`; any other error puts the fax back with a growing delay (`failed` after
    MAX_ATTEMPTS) and ends this round, since such errors (rate limit, key, network) usually
    hold for every fax.
    """
    now = timezone.now()
    if is_paused(PAUSE_KEY):
        return 0  # the provider asked us to wait (a 429 with Retry-After)
    due = Q(pdf_state=PdfState.WANTED) & (Q(pdf_retry_at__isnull=True) | Q(pdf_retry_at__lte=now))
    abandoned = Q(pdf_state=PdfState.CLAIMED, pdf_claimed_at__lt=now - CLAIM_TTL)
    faxes = Fax.objects.filter(pk=pk) if pk is not None else Fax.objects.all()
    candidates = list(
        faxes.filter(due | abandoned, deleted_at__isnull=True, pdf_path="")
        .order_by(F("pdf_retry_at").asc(nulls_first=True), "id")
        .values_list("pk", "message_id", "pdf_state", "pdf_claimed_at")[:limit]
    )
    stored = 0
    for pk, message_id, state, claimed_at in candidates:
        claim = _claim(pk, state, claimed_at)
        if claim is None:
            continue  # another worker took it, or a webhook brought the PDF
        result = _fetch_one(client, pk, message_id, claim)
        if result == "stored":
            stored += 1
        elif result == "stop":
            break
    return stored


def _claim(pk: int, state: str, claimed_at: datetime | None) -> datetime | None:
    """Claim a fax for this worker; the claim time identifies the claim."""
    claim = timezone.now()
    taken = Fax.objects.filter(
        pk=pk, pdf_state=state, pdf_claimed_at=claimed_at, pdf_path=""
    ).update(pdf_state=PdfState.CLAIMED, pdf_claimed_at=claim, pdf_attempts=F("pdf_attempts") + 1)
    return claim if taken else None


def _mine(pk: int, claim: datetime):
    return Fax.objects.filter(pk=pk, pdf_state=PdfState.CLAIMED, pdf_claimed_at=claim)


def _fetch_one(client: PdfDownloader, pk: int, message_id: Any, claim: datetime) -> str:
    try:
        relative = fetch_document(client, message_id)
    except NotAPdf:
        return _retry(pk, claim, "the download is not a PDF", stop=False)
    except Exception as exc:
        reason = str(exc) or type(exc).__name__
        if getattr(exc, "status_code", None) == 404:
            error = f"not found at the provider: {reason}"[:255]
            _mine(pk, claim).update(pdf_state=PdfState.FAILED, pdf_error=error)
            return "failed"
        if hasattr(exc, "permanent"):  # the client's error (DrenfaxError)
            log.warning("fetching the PDF of fax %s: %s", message_id, exc)
        else:  # disk full, or a bug
            log.exception("fetching the PDF of fax %s", message_id)
        after = getattr(exc, "retry_after", None)
        if after:  # a pause for every download, not just this fax's
            pause(PAUSE_KEY, min(after, MAX_BACKOFF.total_seconds()))
        return _retry(pk, claim, reason, stop=True, after=after)
    saved = (
        _mine(pk, claim)
        .filter(pdf_path="")
        .update(
            pdf_path=relative,
            pdf_state=PdfState.DONE,
            pdf_fetched_at=timezone.now(),
            pdf_error="",
            pdf_retry_at=None,
        )
    )
    if not saved:  # the claim was taken over, or a webhook brought the PDF meanwhile
        delete_document(relative)
        return "lost"
    return "stored"


def _retry(pk: int, claim: datetime, error: str, *, stop: bool, after: float | None = None) -> str:
    attempts = Fax.objects.filter(pk=pk).values_list("pdf_attempts", flat=True).first() or 1
    if attempts >= MAX_ATTEMPTS:
        _mine(pk, claim).update(pdf_state=PdfState.FAILED, pdf_error=error[:255])
        return "stop" if stop else "failed"
    delay = min(timedelta(minutes=2 ** (attempts - 1)), MAX_BACKOFF)
    if after:
        delay = max(delay, timedelta(seconds=after))
    _mine(pk, claim).update(
        pdf_state=PdfState.WANTED,
        pdf_retry_at=timezone.now() + delay,
        pdf_error=error[:255],
    )
    return "stop" if stop else "retry"
