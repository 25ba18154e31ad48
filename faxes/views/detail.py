"""A fax's detail page, its document, and the actions on it."""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_replace
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from drenfax_portal.api import describe_error, get_client, not_done
from drenfax_portal.audit.services import audit_record, audited
from drenfax_portal.client import DrenfaxError
from drenfax_portal.http import HtmxHttpRequest, safe_next
from drenfax_portal.security import PDF_FRAME_POLICY
from drenfax_portal.uuids import parse_uuid
from fax_numbers.phone import InvalidNumber, format_national, parse_number
from faxes.forms import NoteForm
from faxes.models import Direction, Fax, Submission
from faxes.selectors import (
    ROW_FIELDS,
    assignable_users,
    get_fax_for_user,
    get_submission_for_user,
    visible_faxes,
)
from faxes.services import actions
from faxes.services.blasts import blast_summary
from faxes.services.documents import open_document
from faxes.services.reads import fax_mark_read
from faxes.services.sending import send_summary
from faxes.services.submissions import new_submission_key, submission_claim, submission_execute
from faxes.views.common import no_store

RESULTS_PER_PAGE = 250


@require_GET
def fax_detail(request: HtmxHttpRequest, message_id) -> HttpResponse:
    fax = get_fax_for_user(request.user, message_id)
    if request.htmx and request.htmx.target == "fax-status":
        return render(request, "faxes/detail.html#status", _status_context(fax))
    # The page itself was opened: the fax is read (its status polls are not).
    fax_mark_read(user=request.user, fax=fax)
    audit_record("fax.viewed", target=fax)
    return fax_detail_page(request, fax)


def fax_detail_page(request: HtmxHttpRequest, fax: Fax, **extra: Any) -> HttpResponse:
    """A fax's whole page (shown again by a refused note or resend, with what was typed:
    `extra` goes to the template)."""
    visible = visible_faxes(request.user)
    context = {
        **_status_context(fax),
        **team_context(fax),
        **notes_context(fax, note_form=extra.pop("note_form", NoteForm())),
        "submission_key": new_submission_key(),
        # A forward links both ways: the faxes that forwarded this one, or the one this was.
        "forwards": (
            visible.filter(submission__forwarded_from=fax).only(*ROW_FIELDS)
            if fax.direction == Direction.INBOUND
            else []
        ),
        "forward_of": visible.filter(forwards__faxes=fax).first() if fax.submission_id else None,
        **extra,
    }
    # A patient's document's page, and a resend form's one-time key: never kept by the browser.
    return no_store(render(request, "faxes/detail.html", context))


def _status_context(fax: Fax) -> dict[str, Any]:
    return {"fax": fax, "events": fax.events.select_related("user")}


def team_context(fax: Fax, **extra: Any) -> dict[str, Any]:
    people = assignable_users(fax) if fax.direction == Direction.INBOUND else []
    return {"fax": fax, "people": people, **extra}


def notes_context(fax: Fax, **extra: Any) -> dict[str, Any]:
    extra.setdefault("note_form", NoteForm())
    return {"fax": fax, "notes": fax.notes.select_related("author"), **extra}


@require_GET
@xframe_options_sameorigin  # the detail page shows it in an inline viewer
@csp_replace(PDF_FRAME_POLICY)
def fax_pdf(request: HtmxHttpRequest, message_id) -> HttpResponse:
    """The fax document, fetched from the provider once, then served from local storage."""
    fax = get_fax_for_user(request.user, message_id)
    if not fax.pdf_path:
        if fax.is_file_purged:
            return _no_document(request, fax, "The provider has purged this fax's document.")
        try:
            with get_client() as client:
                actions.fax_fetch_pdf(client=client, fax=fax)
        except DrenfaxError as exc:
            return _no_document(
                request, fax, f"The document could not be fetched. {describe_error(exc)}"
            )
    try:
        handle = open_document(fax.pdf_path)
    except FileNotFoundError:
        return _no_document(request, fax, "The stored document is missing; try again later.")
    audit_record("fax.pdf_downloaded", target=fax, details={"download": "download" in request.GET})
    return no_store(
        FileResponse(
            handle,
            content_type="application/pdf",
            as_attachment="download" in request.GET,
            filename=f"fax-{fax.message_id}.pdf",
        )
    )


def _no_document(request: HtmxHttpRequest, fax, reason: str) -> HttpResponse:
    context = {"fax": fax, "reason": reason}
    return no_store(render(request, "faxes/no_document.html", context, status=404))


def _back(fax) -> HttpResponse:
    return redirect("faxes:detail", message_id=fax.message_id)


@require_POST
def fax_archive(request: HtmxHttpRequest, message_id) -> HttpResponse:
    fax = get_fax_for_user(request.user, message_id)
    archive = request.POST.get("archived", "1") != "0"
    try:
        with get_client() as client, audited("fax.archived" if archive else "fax.unarchived", fax):
            actions.fax_set_archived(client=client, fax=fax, user=request.user, archived=archive)
    except DrenfaxError as exc:
        messages.error(request, not_done(exc, "Nothing changed."))
    else:
        messages.success(request, "Fax archived." if archive else "Fax moved back to the list.")
    return redirect(safe_next(request, reverse("faxes:detail", args=[fax.message_id])))


@require_POST
def fax_cancel(request: HtmxHttpRequest, message_id) -> HttpResponse:
    fax = get_fax_for_user(request.user, message_id)
    if not fax.can_cancel:
        messages.error(
            request,
            "Only scheduled or processing faxes can be cancelled; "
            f"this one is {fax.get_status_display().lower()}.",
        )
        return _back(fax)
    try:
        with get_client() as client, audited("fax.cancelled", fax):
            actions.fax_cancel(client=client, fax=fax, user=request.user)
    except DrenfaxError as exc:
        messages.error(request, not_done(exc, "The fax was not cancelled."))
    else:
        messages.success(request, "Fax cancelled.")
    return _back(fax)


@require_http_methods(["GET", "POST"])
def fax_delete(request: HtmxHttpRequest, message_id) -> HttpResponse:
    fax = get_fax_for_user(request.user, message_id)
    if request.method == "GET":
        return render(request, "faxes/delete.html", {"fax": fax})
    try:
        with get_client() as client, audited("fax.deleted", fax):
            actions.fax_delete(client=client, fax=fax, user=request.user)
    except DrenfaxError as exc:
        messages.error(request, not_done(exc, "The fax was not deleted."))
        return _back(fax)
    messages.success(request, "Fax deleted.")
    return redirect("faxes:list")


@require_POST
def fax_resend(request: HtmxHttpRequest, message_id) -> HttpResponse:
    """Send a fax again, to its number or another one; the form's key makes it happen once."""
    fax = get_fax_for_user(request.user, message_id)
    key = parse_uuid(request.POST.get("submission_key"))
    if key is None:
        messages.error(request, "The form has expired; please try again.")
        return _back(fax)
    typed = request.POST.get("recipient", "").strip()
    try:
        recipient = parse_number(typed) if typed else fax.fax_number
    except InvalidNumber as exc:
        error = f"Not resent: {typed!r} is not a valid fax number ({exc})."
        return fax_detail_page(request, fax, resend_error=error, resend_typed=typed)
    if fax.direction != Direction.OUTBOUND:
        messages.error(request, "Only outbound faxes can be resent.")
        return _back(fax)
    submission, created = submission_claim(
        key=key,
        user=request.user,
        kind=Submission.Kind.RESEND,
        recipients=[recipient],
        summary={"resend_of": str(fax.message_id), "subject": fax.subject},
    )
    if created:
        with get_client() as client:
            submission_execute(
                submission,
                lambda: client.resend_fax(
                    str(fax.message_id),
                    recipient_fax=recipient if recipient != fax.fax_number else None,
                ),
            )
        ok = submission.state != Submission.State.FAILED
        audit_record("fax.resent", target=fax, success=ok, details={"submission": submission.key})
    elif submission.recipients != [recipient]:
        # The page was shown again (Back) with its used key, and another number typed.
        error = (
            f"This form was used already, to resend to {format_national(submission.recipients[0])}"
            f", so nothing was sent to {format_national(recipient)}. Press Resend again to "
            "send it there."
        )
        return fax_detail_page(request, fax, resend_error=error, resend_typed=typed)
    else:
        messages.info(request, "This resend was made already, so it was not sent again.")
    return redirect("faxes:submission", key=submission.key)


@require_GET
def submission_detail(request: HtmxHttpRequest, key) -> HttpResponse:
    """What came of a send: each recipient's new fax or error, updated until settled.

    A blast's thousands of rows come a page at a time (only that page's faxes are read).
    """
    submission = get_submission_for_user(request.user, key)
    page = Paginator(submission.results, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    ids = [r["message_id"] for r in page.object_list if r.get("message_id")]
    faxes = {str(f.message_id): f for f in submission.faxes.filter(message_id__in=ids)}
    rows = [{**r, "fax": faxes.get(r.get("message_id", ""))} for r in page.object_list]
    refused = sum(1 for r in submission.results if r.get("error"))
    template = "faxes/submission.html"
    if request.htmx:
        template += "#outcome"
    context = {
        "submission": submission,
        "rows": rows,
        "page": page,
        "accepted": sum(1 for r in submission.results if r.get("message_id")),
        "refused": refused,
        "unconfirmed": sum(1 for r in submission.results if r.get("unconfirmed")),
        "send": send_summary(submission, request.user),
        "blast": blast_summary(submission),
    }
    return render(request, template, context)
