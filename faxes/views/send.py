"""The send form: recipients, files, cover page, options, preview, and a send that happens once.

Everything works as a plain multipart form post; htmx and portal.js only add the live
recipient check, the inline preview, uploads with a progress bar and reordering in place.
"""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from drenfax_portal.api import describe_error, get_client
from drenfax_portal.audit.services import audit_record
from drenfax_portal.client import DrenfaxError
from drenfax_portal.http import HtmxHttpRequest
from drenfax_portal.security import PDF_FRAME_POLICY
from drenfax_portal.uuids import parse_uuid
from faxes.forms import MAX_RECIPIENTS, CoverPages, check_recipients
from faxes.models import Direction, StagedFile, Submission
from faxes.selectors import get_fax_for_user, get_submission_for_user
from faxes.services.actions import fax_fetch_pdf
from faxes.services.blasts import recipient_list_load, staged_list_for_user
from faxes.services.documents import open_document
from faxes.services.sending import (
    PREVIEW_FIELDS,
    FileGone,
    SendDraft,
    accept_uploads,
    cover_pages,
    draft_data_for_forward,
    draft_data_for_resend,
    fax_preview,
    fax_send,
    retention_text,
)
from faxes.services.submissions import new_submission_key
from faxes.services.uploads import (
    RefusedFile,
    fresh_previews,
    limits,
    parse_tokens,
    staged_uploads,
)
from faxes.spreadsheets import RefusedList
from faxes.tasks import submission_send
from faxes.views.common import (
    limited_uploads,
    no_store,
    redirect_to,
    used_form_notice,
    used_submission,
)

TEMPLATE = "faxes/send.html"


def _form_unreadable(request: HtmxHttpRequest, reason: str) -> HttpResponse:
    draft = SendDraft.blank(user=request.user, covers=cover_pages())
    return _render(request, draft, error=reason, status=400)


def _upload_unreadable(request: HtmxHttpRequest, reason: str) -> HttpResponse:
    context = {"files": [], "refused": [("Your files", reason)]}
    return render(request, f"{TEMPLATE}#upload-result", context, status=400)


@require_http_methods(["GET", "POST"])
@limited_uploads(_form_unreadable)
def send_form(request: HtmxHttpRequest, refused: list[tuple[str, str]]) -> HttpResponse:
    """The send form; POST with `action` = send, preview, or an edit (update, up:/down:/
    remove:<file>, add_field, remove_field:<row>) that only shows the form again."""
    covers = cover_pages()
    if request.method == "GET":
        return _new_form(request, covers)
    key = parse_uuid(request.POST.get("submission_key"))
    if key is not None and (used := used_submission(request, key)) is not None:
        notice = used_form_notice(
            used,
            sent="This form was sent already; here is what came of it.",
            again="To try again, use Edit and send again.",
        )
        messages.info(request, notice)
        return redirect_to(request, reverse("faxes:submission", args=[used.key]))
    draft = SendDraft.from_data(
        request.POST,
        user=request.user,
        covers=covers,
        uploads=request.FILES.getlist("attachments"),
        refused=refused,
    )
    action = request.POST.get("action", "")
    if action == "preview":
        return _preview(request, draft, key)
    if action != "send":
        return _render(request, draft, key=key, show_errors=action == "update")
    if key is None:
        error = "The form had expired, so nothing was sent. Check it and send again."
        return _render(request, draft, error=error, show_errors=True)
    return _send(request, draft, key)


def _send(request: HtmxHttpRequest, draft: SendDraft, key) -> HttpResponse:
    if not draft.is_valid():
        error = "Nothing was sent: correct what is marked below."
        return _render(request, draft, key=key, error=error, show_errors=True)
    if draft.refused:
        # The fax would go out without a file the user meant to send.
        error = "Nothing was sent: some files could not be added (see Documents)."
        return _render(request, draft, key=key, error=error, show_errors=True)
    try:
        with get_client() as client:
            submission, created = fax_send(client=client, user=request.user, key=key, draft=draft)
    except FileGone:
        return _render(request, draft, key=key, error=_gone_message(), show_errors=True)
    if not created:  # a reused key sent nothing new (and was audited when it did)
        return redirect("faxes:submission", key=submission.key)
    if submission.state == Submission.State.QUEUED:
        submission_send(submission.pk)
    failed = submission.state == Submission.State.FAILED
    audit_record(
        "fax.sent", target=submission, success=not failed, details={"to": submission.recipients}
    )
    if failed:  # nothing left: fill the form in again, files kept, under a new key
        error = f"Nothing was sent. {submission.error}"
        return _render(request, draft, key=new_submission_key(), error=error, show_errors=True)
    return redirect("faxes:submission", key=submission.key)


def _preview(request: HtmxHttpRequest, draft: SendDraft, key) -> HttpResponse:
    preview: StagedFile | None = None
    preview_error = ""
    draft.form.is_valid()
    draft.form.drop_errors(keep=PREVIEW_FIELDS)
    if draft.missing_files:
        preview_error = _gone_message()
    elif draft.form.errors:
        preview_error = "Correct what is marked to see the preview."
    else:
        try:
            with get_client() as client:
                preview = fax_preview(client=client, user=request.user, draft=draft)
        except FileGone:
            preview_error = _gone_message()
        except DrenfaxError as exc:
            preview_error = f"Drenfax could not render the preview. {describe_error(exc)}"
    context = {"preview": preview, "preview_error": preview_error}
    if request.htmx:
        context["preview_problems"] = [
            (draft.form[name].label if name in draft.form.fields else "Form", message)
            for name, errors in draft.form.errors.items()
            for message in errors
        ]
        return no_store(render(request, f"{TEMPLATE}#preview", context))
    return _render(request, draft, key=key, show_errors=True, **context)


def _new_form(request: HtmxHttpRequest, covers: CoverPages) -> HttpResponse:
    """A blank form, the form of an earlier send of the user's (`?from=<key>`), or one with
    the numbers of a blast list the user reviewed (`?blast=<token>`)."""
    if "blast" in request.GET:
        return _form_from_blast(request, covers, request.GET["blast"])
    source = request.GET.get("from")
    if not source:
        # A contact's "Send a fax" link names the number and the cover page's "To".
        data = QueryDict(mutable=True)
        data["recipients"] = request.GET.get("to", "")[:100]
        data["recipient_name"] = request.GET.get("name", "")[:100]
        if not any(data.values()):
            return _render(request, SendDraft.blank(user=request.user, covers=covers))
        return _render(request, SendDraft.from_data(data, user=request.user, covers=covers))
    submission = get_submission_for_user(request.user, source)
    if submission.user_id != request.user.pk or submission.kind != Submission.Kind.SEND:
        raise Http404("No such send")
    data = draft_data_for_resend(submission)
    if data is None:
        messages.info(
            request,
            f"That send's form and files are no longer kept (they are deleted after "
            f"{retention_text()}); fill the form in again.",
        )
        return _render(request, SendDraft.blank(user=request.user, covers=covers))
    draft = SendDraft.from_data(data, user=request.user, covers=covers)
    return _render(request, draft, error=_gone_message() if draft.missing_files else "")


@require_POST
def send_forward(request: HtmxHttpRequest, message_id) -> HttpResponse:
    """The send form for forwarding a received fax, its document already attached."""
    fax = get_fax_for_user(request.user, message_id)
    if fax.direction != Direction.INBOUND:
        raise Http404("Only received faxes are forwarded")
    try:
        if not fax.pdf_path and not fax.is_file_purged:
            with get_client() as client:
                fax_fetch_pdf(client=client, fax=fax)
        data = draft_data_for_forward(user=request.user, fax=fax)
    except DrenfaxError as exc:
        problem = f"The fax's document could not be fetched. {describe_error(exc)}"
    except FileNotFoundError:
        problem = "This fax's document is no longer kept, so it cannot be forwarded."
    except RefusedFile as exc:
        problem = f"This fax cannot be forwarded: {exc}."
    else:
        draft = SendDraft.from_data(data, user=request.user, covers=cover_pages())
        return _render(request, draft)
    messages.error(request, problem)
    return redirect("faxes:detail", message_id=fax.message_id)


def _form_from_blast(request: HtmxHttpRequest, covers: CoverPages, token: str) -> HttpResponse:
    """The numbers of a blast list, for sending documents to them (a blast cannot)."""
    list_id = parse_uuid(token)
    try:
        staged = staged_list_for_user(request.user, list_id)
    except Http404:
        others = StagedFile.objects.filter(token=list_id).exclude(user_id=request.user.pk)
        if list_id is None or others.exists():
            raise  # a token typed in, or someone else's list
        # The user's own list past its retention (or purged: then nobody's).
        messages.info(
            request,
            f"That list is no longer kept (lists are deleted after {retention_text()}), so its "
            "numbers could not be filled in.",
        )
        return _render(request, SendDraft.blank(user=request.user, covers=covers))
    try:
        numbers = recipient_list_load(staged).numbers()
    except (FileNotFoundError, RefusedList):
        numbers = []
    if not numbers or len(numbers) > MAX_RECIPIENTS:
        messages.info(
            request,
            f"The numbers of {staged.filename} could not be filled in (the send form takes 1 "
            f"to {MAX_RECIPIENTS} numbers, and lists are kept for {retention_text()}).",
        )
        return _render(request, SendDraft.blank(user=request.user, covers=covers))
    data = QueryDict(mutable=True)
    data["recipients"] = "\n".join(numbers)
    messages.info(
        request,
        f"The {len(numbers)} numbers of {staged.filename} are filled in; add the documents.",
    )
    return _render(request, SendDraft.from_data(data, user=request.user, covers=covers))


def _render(
    request: HtmxHttpRequest,
    draft: SendDraft,
    *,
    key=None,
    error: str = "",
    show_errors: bool = False,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    if draft.form.is_bound and not show_errors:
        draft.form.drop_errors()
    tz = draft.form.tz
    context = {
        "draft": draft,
        "form": draft.form,
        "check": draft.form.recipient_check,
        "covers": draft.form.covers,
        "cover_value": draft.form["cover_page"].value() or "",
        "submission_key": key or new_submission_key(),
        "error": error,
        "limits": limits(),
        "max_recipients": MAX_RECIPIENTS,
        "region": settings.DEFAULT_PHONE_REGION,
        "tzname": tz.key,
        "now_local": timezone.now().astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
        "retention": retention_text(),
        "refused": draft.refused,
        "files": draft.files,
        **extra,
    }
    return no_store(render(request, TEMPLATE, context, status=status))


def _gone_message() -> str:
    return (
        "Some files are no longer kept on the server (they are deleted after "
        f"{retention_text()}); add them again."
    )


@require_POST
@limited_uploads(_upload_unreadable)
def send_upload(request: HtmxHttpRequest, refused: list[tuple[str, str]]) -> HttpResponse:
    """portal.js uploads chosen files here at once (with a progress bar); the answer is
    their rows for the form's file list, and the refusals. `files` are the files already
    on the form, so the count and size caps cover the whole send."""
    kept = staged_uploads(request.user, parse_tokens(request.POST.getlist("files")))
    files, more = accept_uploads(
        user=request.user, uploads=request.FILES.getlist("attachments"), kept=kept
    )
    context = {"files": files, "refused": [*refused, *more]}
    return no_store(render(request, f"{TEMPLATE}#upload-result", context))


@require_POST
def send_check_recipients(request: HtmxHttpRequest) -> HttpResponse:
    """The recipients as typed so far, each normalised or flagged (htmx, on change)."""
    context = {
        "check": check_recipients(request.POST.get("recipients", "")),
        "max_recipients": MAX_RECIPIENTS,
    }
    return render(request, f"{TEMPLATE}#recipients-check", context)


@require_GET
@xframe_options_sameorigin  # shown in the form's inline viewer
@csp_replace(PDF_FRAME_POLICY)
def send_preview_pdf(request: HtmxHttpRequest, token) -> HttpResponse:
    """A preview the user rendered, for them only, for an hour, never cached."""
    preview = get_object_or_404(fresh_previews(request.user), token=token)
    try:
        handle = open_document(preview.path)
    except FileNotFoundError:
        raise Http404("No such preview") from None
    response = FileResponse(handle, content_type="application/pdf", filename="preview.pdf")
    return no_store(response)
