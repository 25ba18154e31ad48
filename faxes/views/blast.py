"""The fax blast: upload an Excel list, review it (recipients, rows left out and why, cover
page, preview), send it once per one-time key. The confirm posts the list's fingerprint, so
what is sent is what was shown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from drenfax_portal.api import describe_error, get_client
from drenfax_portal.audit.services import audit_record
from drenfax_portal.client import DrenfaxError
from drenfax_portal.http import HtmxHttpRequest
from drenfax_portal.uuids import parse_uuid
from faxes.forms import MAX_RECIPIENTS, CoverPages
from faxes.models import StagedFile, Submission
from faxes.services.blasts import (
    RecipientListUploadHandler,
    blast_made_of,
    blast_preview,
    blast_send,
    recipient_list_load,
    recipient_list_remember,
    recipient_list_stage,
    staged_list_for_user,
)
from faxes.services.sending import cover_pages, retention_text
from faxes.services.submissions import new_submission_key
from faxes.spreadsheets import (
    NAME_MAX,
    XLSX_CONTENT_TYPE,
    RecipientList,
    RefusedList,
    clean_workbook,
    max_file_size,
    recipient_list_read,
    template_workbook,
)
from faxes.tasks import submission_send
from faxes.views.common import (
    limited_uploads,
    no_store,
    redirect_to,
    used_form_notice,
    used_submission,
)

UPLOAD_TEMPLATE = "faxes/blast.html"
REVIEW_TEMPLATE = "faxes/blast_review.html"
RECIPIENTS_PER_PAGE = 100
# The rows left out are all listed up to this many; the clean file has the recipients.
LEFT_OUT_SHOWN = 1_000


def _limits() -> dict[str, Any]:
    return {
        "max_rows": settings.BLAST_MAX_ROWS,
        "max_file": max_file_size(),
        "name_max": NAME_MAX,
        "region": settings.DEFAULT_PHONE_REGION,
        "retention": retention_text(),
        "send_max": MAX_RECIPIENTS,
    }


def _render_upload(request: HtmxHttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    context = {"error": error, "limits": _limits()}
    return no_store(render(request, UPLOAD_TEMPLATE, context, status=status))


@require_http_methods(["GET", "POST"])
@limited_uploads(
    lambda request, reason: _render_upload(request, reason, status=400),
    handler=RecipientListUploadHandler,
)
def blast_upload(request: HtmxHttpRequest, refused: list[tuple[str, str]]) -> HttpResponse:
    """The blast's first step: the template, and the upload of a filled-in list."""
    if request.method == "GET":
        return _render_upload(request)
    upload = request.FILES.get("workbook")
    if upload is None:
        if refused:
            name, reason = refused[0]
            return _render_upload(request, error=f"{name} was not read: {reason}.")
        return _render_upload(request, error="Choose the Excel file (.xlsx) with the recipients.")
    try:
        recipient_list = recipient_list_read(upload.file)
    except RefusedList as exc:
        return _render_upload(request, error=f"{upload.name} was not read. {exc} Nothing was sent.")
    staged = recipient_list_stage(user=request.user, upload=upload)
    recipient_list_remember(staged, recipient_list)
    return redirect("faxes:blast_review", token=staged.token)


@require_GET
def blast_template(request: HtmxHttpRequest) -> HttpResponse:
    """The workbook to fill in: the columns, an example row, and notes on the limits."""
    response = HttpResponse(template_workbook(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="fax-blast-recipients.xlsx"'
    return response


def _load(request: HtmxHttpRequest, staged: StagedFile) -> RecipientList | HttpResponse:
    """The list as read, or a way back to the upload when it can no longer be read."""
    try:
        return recipient_list_load(staged)
    except FileNotFoundError:
        reason = f"The list is no longer kept (lists are deleted after {retention_text()})."
    except RefusedList as exc:
        reason = str(exc)
    messages.error(request, f"{staged.filename}: {reason} Upload it again; nothing was sent.")
    return redirect_to(request, reverse("faxes:blast"))


@require_GET
def blast_list_download(request: HtmxHttpRequest, token) -> HttpResponse:
    """The recipients exactly as the blast sends them (the clean workbook)."""
    staged = staged_list_for_user(request.user, token)
    recipient_list = _load(request, staged)
    if isinstance(recipient_list, HttpResponse):
        return recipient_list
    response = HttpResponse(clean_workbook(recipient_list.recipients), XLSX_CONTENT_TYPE)
    stem = slugify(staged.filename.rsplit(".", 1)[0]) or "recipients"
    response["Content-Disposition"] = f'attachment; filename="{stem}-to-send.xlsx"'
    return no_store(response)


@require_http_methods(["GET", "POST"])
def blast_review(request: HtmxHttpRequest, token) -> HttpResponse:
    """Who receives the blast and who is left out; POST `action` = preview or send."""
    key = parse_uuid(request.POST.get("submission_key"))
    if key is not None and (used := used_submission(request, key)) is not None:
        return _sent_already(request, used)
    try:
        staged = staged_list_for_user(request.user, token)
    except Http404:
        if request.method == "GET" or StagedFile.objects.filter(token=token).exists():
            raise  # a page typed in, or someone else's list (or one about to be purged)
        # A review page left open past the list's retention (the purge deleted it).
        reason = f"The list is no longer kept (lists are deleted after {retention_text()})."
        messages.error(request, f"{reason} Upload it again; nothing was sent.")
        return redirect_to(request, reverse("faxes:blast"))
    recipient_list = _load(request, staged)
    if isinstance(recipient_list, HttpResponse):
        return recipient_list
    review = _Review(request, staged, recipient_list, cover_pages(), blast_made_of(staged))
    action = request.POST.get("action", "")
    if request.method == "GET" and request.htmx and request.htmx.target == "recipients":
        return review.render(partial="recipients")
    if action == "preview":
        return _preview(request, review)
    if action != "send":
        return review.render()
    if key is None:
        return review.render(error="The form had expired, so nothing was sent. Check it again.")
    return _send(request, review, key)


@dataclass
class _Review:
    """The review page of one list, with the cover page posted (if any) and its problems."""

    request: HtmxHttpRequest
    staged: StagedFile
    list: RecipientList
    covers: CoverPages
    sent: Submission | None  # the blast made of this list already, if any
    cover_error: str = ""

    def cover_page(self) -> str | None:
        """The posted cover page, checked; None (with `cover_error` set) when it is not."""
        try:
            return self.covers.choice(self.request.POST.get("cover_page", ""), allow_none=False)
        except forms.ValidationError as exc:
            self.cover_error = exc.messages[0]
            return None

    def render(self, *, partial: str = "", error: str = "", **extra: Any) -> HttpResponse:
        """The page, or with `partial` one of its fragments (for htmx)."""
        left_out = self.list.left_out
        paginator = Paginator(self.list.recipients, RECIPIENTS_PER_PAGE)
        context = {
            "staged": self.staged,
            "recipient_list": self.list,
            "page": paginator.get_page(self.request.GET.get("page")),
            "left_out": left_out[:LEFT_OUT_SHOWN],
            "left_out_hidden": max(0, len(left_out) - LEFT_OUT_SHOWN),
            "covers": self.covers,
            "cover_value": self.request.POST.get("cover_page", ""),
            "cover_error": self.cover_error,
            "digest": self.list.digest(),
            "sent": self.sent,
            "submission_key": new_submission_key(),
            "limits": _limits(),
            "can_use_send_form": 0 < len(self.list.recipients) <= MAX_RECIPIENTS,
            "error": error,
            **extra,
        }
        template = f"{REVIEW_TEMPLATE}#{partial}" if partial else REVIEW_TEMPLATE
        return no_store(render(self.request, template, context))


def _preview(request: HtmxHttpRequest, review: _Review) -> HttpResponse:
    preview: StagedFile | None = None
    preview_error = ""
    cover_page = review.cover_page()
    if cover_page is None:
        preview_error = review.cover_error
    else:
        try:
            with get_client() as client:
                preview = blast_preview(
                    client=client,
                    user=request.user,
                    recipient_list=review.list,
                    cover_page=cover_page,
                )
        except DrenfaxError as exc:
            preview_error = f"Drenfax could not render the preview. {describe_error(exc)}"
    partial = "preview" if request.htmx else ""
    return review.render(partial=partial, preview=preview, preview_error=preview_error)


def _send(request: HtmxHttpRequest, review: _Review, key) -> HttpResponse:
    cover_page = review.cover_page()
    if cover_page is None:
        return review.render(error="Nothing was sent: choose a cover page.")
    if not review.list.recipients:
        return review.render(error="Nothing was sent: no row of the list has a fax number to use.")
    if request.POST.get("digest") != review.list.digest():
        # The list was read differently since it was shown (the region or the cap changed):
        # send nothing the user has not seen.
        return review.render(
            error="The list reads differently now than when it was shown to you, so nothing "
            "was sent. Check it below and confirm again."
        )
    if review.sent is not None:  # the page was shown again (Back, a second tab)
        return _sent_already(request, review.sent)
    submission, created = blast_send(
        user=request.user,
        key=key,
        staged=review.staged,
        recipient_list=review.list,
        cover_page=cover_page,
        cover_name=review.covers.name(cover_page),
    )
    if not created:
        return _sent_already(request, submission)
    submission_send(submission.pk)
    audit_record(
        "blast.sent", target=submission, details={"recipients": len(submission.recipients)}
    )
    return redirect("faxes:submission", key=submission.key)


def _sent_already(request: HtmxHttpRequest, submission: Submission) -> HttpResponse:
    notice = used_form_notice(
        submission,
        sent="This blast was sent already, so it was not sent again; here is what came of it. "
        "To send the list once more, upload it again.",
        again="To try again, go back to the list.",
    )
    messages.info(request, notice)
    return redirect_to(request, reverse("faxes:submission", args=[submission.key]))
