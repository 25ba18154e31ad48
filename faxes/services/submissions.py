"""Sending without ever sending twice.

1. `submission_claim` writes the submission down under the form's one-time key before
   anything is sent; a second request with that key shows its result instead.
2. `submission_execute` makes the one API call: accepted ("done"), refused ("failed"), or
   "unknown" when the request may have reached the provider (a timeout after sending, a 5xx).
3. `reconcile_unknown_submissions` (sync worker) settles unknown submissions, and those left
   "submitting" by a dead process, as "done" or "not_sent" from the provider's history.
   Nothing is ever re-sent automatically.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from drenfax_portal.api import describe_error
from drenfax_portal.audit.services import audit_record
from drenfax_portal.client import (
    BatchResult,
    DrenfaxClient,
    DrenfaxError,
    HistoryPage,
    MalformedResponseError,
    ServerError,
    TransportError,
)
from drenfax_portal.uuids import parse_uuid
from fax_numbers.models import FaxNumber
from fax_numbers.phone import to_e164
from faxes.models import Direction, Fax, FaxEvent, Submission
from faxes.services.cache import fax_merge_payloads
from faxes.services.ratelimit import history_limiter

log = logging.getLogger(__name__)

# How long after a submission started its faxes may show up in the provider's history.
RECONCILE_WINDOW = timedelta(minutes=10)
# An unknown submission with no trace after this long was not sent.
GIVE_UP_AFTER = timedelta(minutes=15)
# A submission still "submitting" after this long lost its process mid-call (a worker
# restart, a crash): longer than any call can take, given the client's timeouts.
STALE_SUBMITTING_AFTER = timedelta(minutes=10)


def new_submission_key() -> str:
    """A one-time key for a rendered send form."""
    return str(uuid.uuid4())


def submission_claim(
    *,
    key: uuid.UUID,
    user: AbstractBaseUser,
    kind: str,
    recipients: Sequence[str],
    summary: dict[str, Any] | None = None,
    queued: dict[str, Any] | None = None,
    forwarded_from: Fax | None = None,
) -> tuple[Submission, bool]:
    """Write the submission down before sending; (submission, True) if this call created it.

    A used key returns its submission and False (show it, do not send); another user's, 404.
    With `queued` (the API call, for `submission_run`), it is written down for a task.
    """
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                key=key,
                user=user,
                kind=kind,
                recipients=list(recipients),
                summary=summary or {},
                state=Submission.State.QUEUED if queued else Submission.State.SUBMITTING,
                started_at=None if queued else timezone.now(),
                request=queued or {},
                forwarded_from=forwarded_from,
            )
        return submission, True
    except IntegrityError:
        submission = Submission.objects.get(key=key)
        if submission.user_id != user.pk:
            raise Http404("No such submission") from None
        return submission, False


def submission_execute(submission: Submission, call: Callable[[], BatchResult | Any]) -> Submission:
    """Make the submission's one API call and record what came of it (a refusal in plain
    words for the user, an unknown outcome with the technical message)."""
    try:
        answer = call()
    except DrenfaxError as exc:
        # A 5xx, an answer we cannot read, or none once the request left: the provider may
        # have created the faxes. Find out, never resend.
        if isinstance(exc, ServerError | MalformedResponseError) or (
            isinstance(exc, TransportError) and exc.request_sent
        ):
            return _finish(submission, Submission.State.UNKNOWN, error=str(exc))
        return _finish(submission, Submission.State.FAILED, error=describe_error(exc))
    except BaseException as exc:
        # Not the client's doing (a bug, an interrupted worker): whether the request left is
        # unknown, so it is reconciled like a timeout rather than left "submitting".
        _finish(submission, Submission.State.UNKNOWN, error=f"{type(exc).__name__}: {exc}")
        raise
    return _record_answer(submission, answer)


def submission_run(pk: int, call_for: Callable[[Submission], Callable[[], Any]]) -> bool:
    """Make a queued submission's API call (`call_for(submission)` builds it); False if it is
    not queued any more. Only the process that moves it from queued to submitting calls the
    API: a task run twice, or a second consumer, sends nothing. A consumer that dies after
    that leaves it "submitting", which `submissions_expire_stale` turns into "unknown", to be
    looked up in the history, never sent again."""
    taken = Submission.objects.filter(pk=pk, state=Submission.State.QUEUED).update(
        state=Submission.State.SUBMITTING, started_at=timezone.now()
    )
    if not taken:
        return False
    submission = Submission.objects.get(pk=pk)
    try:
        call = call_for(submission)
    except Exception as exc:  # e.g. a file gone: the call could not be made, nothing was sent
        _finish(submission, Submission.State.FAILED, error=str(exc) or type(exc).__name__)
    else:
        submission_execute(submission, call)
    if submission.state == Submission.State.FAILED:  # the request was audited as sent
        audit_record(
            "send.refused",
            target=submission,
            success=False,
            user=submission.user,
            details={"kind": submission.kind, "error": submission.error[:200]},
        )
    return True


def submissions_queued_since(moment: Any) -> list[int]:
    """Queued submissions written down before `moment` (their task may have been lost)."""
    return list(
        Submission.objects.filter(state=Submission.State.QUEUED, created_at__lt=moment)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )


# A long answer is recorded in parts, each its own transaction, so that the result page can
# show how far it got.
RECORD_CHUNK = 1000


def _record_answer(submission: Submission, answer: Any) -> Submission:
    if isinstance(answer, BatchResult):
        if not answer.success and not answer.errors:
            # A 2xx that names no fax and no refusal: Drenfax may well have sent them, so
            # the reconciler finds out; "nothing was sent" would invite a second send.
            error = "Drenfax's answer did not say which faxes it accepted."
            return _finish(submission, Submission.State.UNKNOWN, error=error)
        named = [fax for fax in answer.success if parse_uuid(fax.message_id) is not None]
        if answer.success and not named and not answer.errors:
            error = "Drenfax's answer did not name the faxes it accepted."
            return _finish(submission, Submission.State.UNKNOWN, error=error)
        accepted = [fax.raw for fax in named]
        # Accepted, but without the fax's id: neither refused nor dropped from the result.
        unnamed = [
            {"recipient": to_e164(fax.fax_number or ""), "unconfirmed": UNNAMED}
            for fax in answer.success
            if parse_uuid(fax.message_id) is None
        ]
        refused = [
            {"recipient": err.recipient_fax or "", "error": err.error or "refused by Drenfax"}
            for err in answer.errors
        ]
    elif parse_uuid(answer.message_id) is None:  # a single Fax, as one send answers
        error = "Drenfax's answer did not name the fax it accepted."
        return _finish(submission, Submission.State.UNKNOWN, error=error)
    else:
        accepted, unnamed, refused = [answer.raw], [], []
    if len(accepted) > RECORD_CHUNK:
        submission.summary = {**submission.summary, "accepted": len(accepted)}
        submission.save(update_fields=["summary"])
    results: list[dict[str, str]] = []
    for start in range(0, len(accepted), RECORD_CHUNK):
        with transaction.atomic():
            report = fax_merge_payloads(
                accepted[start : start + RECORD_CHUNK],
                source=FaxEvent.Source.PORTAL,
                sent_by=submission.user,
                skip_invalid=True,
            )
            ids = [o.fax.pk for o in report.outcomes]
            Fax.objects.filter(pk__in=ids, submission__isnull=True).update(submission=submission)
            results += [
                {"recipient": o.fax.fax_number, "message_id": str(o.fax.message_id)}
                for o in report.outcomes
            ]
            submission.recorded = len(results)
            submission.save(update_fields=["recorded"])
    state = Submission.State.DONE if accepted or unnamed else Submission.State.FAILED
    error = "" if accepted or unnamed else "; ".join(r["error"] for r in refused)
    return _finish(submission, state, results=results + unnamed + refused, error=error)


def _finish(
    submission: Submission,
    state: str,
    *,
    results: list[dict[str, str]] | None = None,
    error: str = "",
) -> Submission:
    submission.state = state
    submission.error = error[:1000]
    if results is not None:
        submission.results = results
    if state != Submission.State.UNKNOWN:
        submission.completed_at = timezone.now()
    submission.save(update_fields=["state", "error", "results", "completed_at"])
    if state == Submission.State.UNKNOWN:
        log.warning("submission %s: outcome unknown (%s); reconciling", submission.key, error)
    return submission


def _started(submission: Submission) -> datetime:
    """When its API call began (submissions written before started_at: when written down)."""
    return submission.started_at or submission.created_at


# A recipient an unknown send settled without: not refused, so never offered for a resend.
UNNAMED = "accepted by Drenfax, but its answer named no fax: look for it in the history"
UNCONFIRMED = (
    "not found in Drenfax's history; ask the recipient whether it arrived before sending again"
)


def _could_be_theirs(submission: Submission) -> Q:
    """Faxes that may be this send's: nobody else's, and from the number it was sent from
    (the caller id chosen; else one the sender may see), so that settling a send never
    hands the sender someone else's fax to the same recipient."""
    rule = Q(sent_by__isnull=True) | Q(sent_by_id=submission.user_id)
    if caller_id := submission.summary.get("caller_id"):
        return rule & Q(fax_caller_id=caller_id)
    if submission.user.is_staff:
        return rule
    theirs = FaxNumber.objects.filter(assigned_users=submission.user_id).values("id")
    return rule & (Q(number__isnull=True) | Q(number_id__in=theirs))


@transaction.atomic
def submission_settle_from_cache(submission: Submission, *, partly: bool = False) -> bool:
    """Settle an unknown submission from faxes already in the cache once every recipient's
    fax is there (`partly`: with those found, the others unconfirmed); True if settled."""
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.state != Submission.State.UNKNOWN:
        return True
    candidates = (
        Fax.objects.filter(
            direction=Direction.OUTBOUND,
            fax_number__in=submission.recipients,
            created_at__gte=_started(submission) - timedelta(minutes=1),
            created_at__lte=_started(submission) + RECONCILE_WINDOW,
            submission__isnull=True,
        )
        .filter(_could_be_theirs(submission))
        .order_by("created_at")
    )
    found: dict[str, Fax] = {}
    for fax in candidates:
        found.setdefault(fax.fax_number, fax)
    if not found or (len(found) < len(set(submission.recipients)) and not partly):
        return False
    for fax in found.values():
        Fax.objects.filter(pk=fax.pk).update(
            submission=submission, sent_by=fax.sent_by or submission.user
        )
    results = [
        {"recipient": r, "message_id": str(found[r].message_id)}
        if r in found
        else {"recipient": r, "unconfirmed": UNCONFIRMED}
        for r in submission.recipients
    ]
    _finish(submission, Submission.State.DONE, results=results, error="")
    return True


def submissions_expire_stale(*, now: Any = None) -> int:
    """Mark submissions stuck in "submitting" as unknown, to be reconciled; returns how many."""
    cutoff = (now or timezone.now()) - STALE_SUBMITTING_AFTER
    started = Coalesce("started_at", "created_at")
    stale = Submission.objects.alias(started=started).filter(
        state=Submission.State.SUBMITTING, started__lt=cutoff
    )
    count = stale.update(
        state=Submission.State.UNKNOWN, error="The portal stopped before Drenfax answered."
    )
    if count:
        log.warning("%d submission(s) stuck while sending; reconciling them", count)
    return count


def reconcile_unknown_submissions(
    *, client: DrenfaxClient, account_id: str | None = None, limit: int = 5
) -> int:
    """Settle submissions whose outcome is unknown; returns how many were settled."""
    account_id = account_id or settings.DRENFAX_ACCOUNT_ID
    submissions_expire_stale()
    settled = 0
    for submission in Submission.objects.filter(state=Submission.State.UNKNOWN).order_by(
        "created_at"
    )[:limit]:
        if submission_settle_from_cache(submission):
            settled += 1
            continue
        try:
            # One number narrows the search to it; several rely on the date window.
            with history_limiter().token(account_id):
                page = client.fax_history(
                    account_id,
                    direction="outbound",
                    from_date=(_started(submission) - timedelta(days=1)).date(),
                    query=submission.recipients[0] if len(submission.recipients) == 1 else None,
                    limit=RECONCILE_PAGE,
                    include=("tags",),
                )
        except DrenfaxError as exc:
            log.warning("reconciling submission %s: %s", submission.key, exc)
            break
        fax_merge_payloads(page.rows, source=FaxEvent.Source.SYNC, skip_invalid=True)
        Submission.objects.filter(pk=submission.pk).update(
            reconcile_attempts=submission.reconcile_attempts + 1
        )
        given_up = timezone.now() - _started(submission) > GIVE_UP_AFTER
        if submission_settle_from_cache(submission, partly=given_up):
            settled += 1
        elif given_up:
            _give_up(submission, read_back_to_it=_reaches_back_to(page, submission))
            settled += 1
    return settled


# The most rows one history call answers: the reconciler reads one page a submission.
RECONCILE_PAGE = 500


def _reaches_back_to(page: HistoryPage, submission: Submission) -> bool:
    """Whether the page (newest first) holds every fax since the submission started: it
    is the last one, or its oldest fax is from before."""
    before = _started(submission) - timedelta(minutes=1)
    return len(page.rows) < RECONCILE_PAGE or any(
        fax.created_at is not None and fax.created_at < before for fax in page.rows
    )


def _give_up(submission: Submission, *, read_back_to_it: bool) -> None:
    """No fax of the submission was found. "Nothing was sent" only if the history read went
    back to it; otherwise (a busy account sent more than a page since) nothing is certain,
    and its recipients are not confirmed, never offered for a resend."""
    if read_back_to_it:
        _finish(
            submission,
            Submission.State.NOT_SENT,
            error="Drenfax has no fax from this submission; nothing was sent.",
        )
    else:
        results = [{"recipient": r, "unconfirmed": UNCONFIRMED} for r in submission.recipients]
        _finish(submission, Submission.State.DONE, results=results, error="")
