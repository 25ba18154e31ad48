"""Fax blasts: an uploaded list kept for its review (its reading cached), then written down
with its one-time key and sent by a task in ONE `send_blast` call, never twice."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone

from drenfax_portal.client import DrenfaxClient
from faxes.models import StagedFile, Submission
from faxes.services.documents import delete_document, open_document, write_document
from faxes.services.sending import cover_page_arguments
from faxes.services.submissions import submission_claim
from faxes.services.uploads import (
    CappedUploadHandler,
    clean_filename,
    preview_store,
    staged_file_store,
    upload_retention,
)
from faxes.spreadsheets import (
    XLSX_CONTENT_TYPE,
    RecipientList,
    clean_workbook,
    max_file_size,
    recipient_list_read,
)

# The name of the clean workbook sent to Drenfax.
CLEAN_FILENAME = "recipients.xlsx"
# Seconds a list's reading is kept in the cache between its review pages and its send.
LIST_CACHE_TTL = 600


class RecipientListUploadHandler(CappedUploadHandler):
    """One workbook of at most BLAST_MAX_FILE_MB per request, refused while it is read."""

    what = "a blast"
    per = "per list"

    def __init__(self, request: Any = None) -> None:
        size = max_file_size()
        super().__init__(request, max_file=size, max_total=size, max_files=1)


def recipient_list_stage(*, user: AbstractBaseUser, upload: UploadedFile) -> StagedFile:
    """Keep an uploaded workbook (already read successfully) for its review and send."""
    upload.seek(0)
    return staged_file_store(
        user=user,
        kind=StagedFile.Kind.RECIPIENT_LIST,
        chunks=upload.chunks(),
        filename=clean_filename(upload.name or "", "xlsx", extensions=(".xlsx",)),
        file_type="xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )


def staged_list_for_user(user: AbstractBaseUser, token: Any) -> StagedFile:
    """The user's own recipient list with this token, within its retention period, or 404."""
    return get_object_or_404(
        StagedFile,
        user_id=user.pk,
        kind=StagedFile.Kind.RECIPIENT_LIST,
        token=token,
        created_at__gt=timezone.now() - upload_retention(),
    )


def _cache_key(staged: StagedFile) -> str:
    # The reading depends on the region and the cap too: a change of either reads afresh.
    return f"drenfax:blast:{staged.token}:{settings.DEFAULT_PHONE_REGION}:{settings.BLAST_MAX_ROWS}"


def recipient_list_remember(staged: StagedFile, recipient_list: RecipientList) -> None:
    """Keep a list's reading for a few minutes: its review pages then need no second read."""
    cache.set(_cache_key(staged), recipient_list, LIST_CACHE_TTL)


def recipient_list_load(staged: StagedFile) -> RecipientList:
    """A kept list as read (from the cache, else from its file). Raises FileNotFoundError
    once the file was purged, RefusedList if it no longer passes (the cap was lowered since).
    """

    def read() -> RecipientList:
        with open_document(staged.path) as handle:
            return recipient_list_read(handle)

    return cache.get_or_set(_cache_key(staged), read, LIST_CACHE_TTL)


def blast_send(
    *,
    user: AbstractBaseUser,
    key: uuid.UUID,
    staged: StagedFile,
    recipient_list: RecipientList,
    cover_page: str,
    cover_name: str,
) -> tuple[Submission, bool]:
    """Write a reviewed list down to be sent once for this key by a task (`blast_call`);
    (submission, True) if this call wrote it down, (its submission, False) for a used key,
    or for a list already sent under another key (its page shown again: Back, a second tab).

    What goes out is a workbook the portal writes (`clean_workbook`): only the recipients the
    review showed. It is stored first, so a failure there uses up no key.
    """
    workbook, _ = write_document(
        [clean_workbook(recipient_list.recipients)], folder="outgoing", suffix=".xlsx"
    )
    with transaction.atomic():
        # The list's row is locked so that two confirms of one list take turns.
        StagedFile.objects.select_for_update().filter(pk=staged.pk).first()
        earlier = blast_made_of(staged)
        if earlier is not None and earlier.key != key:
            submission, created = earlier, False
        else:
            submission, created = submission_claim(
                key=key,
                user=user,
                kind=Submission.Kind.BLAST,
                recipients=recipient_list.numbers(),
                summary={
                    "list": staged.filename,
                    "list_token": str(staged.token),
                    "sheet": recipient_list.sheet,
                    "recipients": len(recipient_list.recipients),
                    "left_out": len(recipient_list.left_out),
                    "left_out_counts": recipient_list.count_labels,
                    "cover_page": cover_name,
                },
                queued={"workbook": workbook, "cover_page": cover_page},
            )
    if not created:
        delete_document(workbook)
    return submission, created


def blast_made_of(staged: StagedFile) -> Submission | None:
    """The blast sent (or being sent, or maybe sent) from this list; one that was refused
    or never reached Drenfax does not count."""
    return (
        Submission.objects.filter(kind=Submission.Kind.BLAST, summary__list_token=str(staged.token))
        .exclude(state__in=[Submission.State.FAILED, Submission.State.NOT_SENT])
        .order_by("-created_at")
        .first()
    )


def blast_call(client: DrenfaxClient, submission: Submission) -> Callable[[], Any]:
    """The API call of a queued blast (for `submission_run`); the workbook is deleted once
    read, since it holds the recipients' numbers."""
    request = submission.request
    with open_document(request["workbook"]) as handle:
        workbook = handle.read()
    delete_document(request["workbook"])
    return lambda: client.send_blast(
        (CLEAN_FILENAME, workbook, XLSX_CONTENT_TYPE), **cover_page_arguments(request["cover_page"])
    )


def blast_preview(
    *, client: DrenfaxClient, user: AbstractBaseUser, recipient_list: RecipientList, cover_page: str
) -> StagedFile:
    """The cover page the list's first recipient would get, rendered by Drenfax (nothing is
    sent), kept for its owner to view. Raises DrenfaxError when Drenfax refuses."""
    name = recipient_list.recipients[0].name if recipient_list.recipients else ""
    pdf = client.preview_fax(**cover_page_arguments(cover_page), recipient_name=name or None)
    return preview_store(user=user, pdf=pdf)


def blast_summary(submission: Submission) -> dict[str, Any] | None:
    """What the result page shows of a blast, as `blast_send` wrote it (None for a send)."""
    return submission.summary if submission.kind == Submission.Kind.BLAST else None
