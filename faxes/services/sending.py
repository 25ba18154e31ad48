"""What happens when you press Send: the draft, its preview, and the one API call.

A posted form becomes a `SendDraft`, checked by `faxes.forms.SendForm`; `fax_preview` renders
it and `fax_send` sends it once per submission key, in ONE API call whatever the number of
recipients; more than QUEUE_ABOVE are written down and sent by a task (`send_call`).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import zip_longest
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.template.defaultfilters import pluralize
from django.utils import timezone

from drenfax_portal.accounts.services import profile_for
from drenfax_portal.api import describe_error, get_client
from drenfax_portal.client import DrenfaxClient, DrenfaxError
from fax_numbers.phone import format_national
from faxes.forms import DEFAULT_COVER, NO_COVER, CoverPageOption, CoverPages, SendForm
from faxes.models import Fax, StagedFile, Submission
from faxes.services.documents import open_document
from faxes.services.submissions import submission_claim, submission_execute
from faxes.services.uploads import (
    RefusedFile,
    limits,
    parse_tokens,
    preview_store,
    staged_file_create,
    staged_file_read,
    staged_uploads,
)

COVER_PAGES_TTL = 600  # seconds the cover page list is cached

# Form fields a draft keeps, to fill the form in again (a refused send, "edit and resend"): the
# posted ones (its files and custom field rows are kept apart).
DRAFT_FIELDS = [
    name for name in SendForm.base_fields if name not in ("attachments", "custom_fields")
]
# Fields that shape the rendered fax; only these must be valid to preview it.
PREVIEW_FIELDS = frozenset(
    {"cover_page", "attachments", "recipient_name", "sender_name", "subject", "notes", "caller_id"}
)


# --- cover pages ---------------------------------------------------------------------------


def cover_page_arguments(value: str) -> dict[str, Any]:
    """The client's `cover_page` and `cover_page_id` for a checked choice."""
    return {
        "cover_page": value != NO_COVER,
        "cover_page_id": value if value not in (NO_COVER, DEFAULT_COVER) else None,
    }


def _web_link(value: str | None) -> str | None:
    parts = urlsplit(value or "")
    return value if parts.scheme in ("http", "https") and parts.netloc else None


def cover_pages() -> CoverPages:
    """The account's cover pages, cached for a few minutes; never raises."""
    key = f"drenfax:coverpages:{settings.DRENFAX_API_URL}"
    pages = cache.get(key)
    if pages is None:
        try:
            with get_client() as client:
                found = client.cover_pages()
        except DrenfaxError as exc:
            return CoverPages(pages=[], error=describe_error(exc))
        pages = [
            CoverPageOption(
                uuid=page.uuid.lower(),
                name=page.name or "Untitled cover page",
                preview_link=_web_link(page.preview_link),
            )
            for page in found
            if page.uuid
        ]
        cache.set(key, pages, COVER_PAGES_TTL)
    return CoverPages(pages=pages)


# --- the draft -----------------------------------------------------------------------------


@dataclass
class SendDraft:
    """A send form as posted: fields, files in order, custom field rows, refused uploads."""

    form: SendForm
    files: list[StagedFile]
    cf_rows: list[tuple[str, str]]
    refused: list[tuple[str, str]] = field(default_factory=list)
    missing_files: int = 0  # files the form named that are no longer kept (retention)

    @classmethod
    def blank(cls, *, user: AbstractBaseUser, covers: CoverPages) -> SendDraft:
        return cls(form=SendForm(user=user, covers=covers), files=[], cf_rows=[("", "")])

    @classmethod
    def from_data(
        cls,
        data: QueryDict,
        *,
        user: AbstractBaseUser,
        covers: CoverPages,
        uploads: Sequence[UploadedFile] = (),
        refused: Sequence[tuple[str, str]] = (),
    ) -> SendDraft:
        """Kept files by token, then new uploads, then the posted `action` applied."""
        tokens = parse_tokens(data.getlist("files"))
        files = staged_uploads(user, tokens)
        missing = len(tokens) - len(files)
        new_files, more_refused = accept_uploads(user=user, uploads=uploads, kept=files)
        files += new_files
        cf_rows = [
            (key.strip(), value.strip())
            for key, value in zip_longest(
                data.getlist("cf_key"), data.getlist("cf_value"), fillvalue=""
            )
        ]
        _apply_action(data.get("action", ""), files, cf_rows)
        if not cf_rows:
            cf_rows = [("", "")]
        form = SendForm(data, user=user, files=files, cf_rows=cf_rows, covers=covers)
        return cls(
            form=form,
            files=files,
            cf_rows=cf_rows,
            refused=[*refused, *more_refused],
            missing_files=missing,
        )

    def is_valid(self) -> bool:
        return self.form.is_valid() and not self.missing_files

    def rendering_arguments(self) -> dict[str, Any]:
        """The cover page and its fields, shared by preview and send (a preview needs only
        PREVIEW_FIELDS valid)."""
        data = self.form.cleaned_data
        return {
            **cover_page_arguments(data["cover_page"]),
            "recipient_name": data["recipient_name"] or None,
            "sender_name": data["sender_name"] or None,
            "subject": data["subject"] or None,
            "notes": data["notes"] or None,
            "caller_id": data["caller_id"].number if data["caller_id"] else None,
        }

    def request(self) -> dict[str, Any]:
        """The API call of a valid draft as JSON, files by token (what a queued send keeps)."""
        data = self.form.cleaned_data
        scheduled = data["scheduled_at"]
        return {
            "recipients": data["recipients"],
            "contacts": data["recipient_contacts"],
            "files": [str(f.token) for f in self.files],
            "arguments": {
                **self.rendering_arguments(),
                "tags": data["tags"],
                "custom_fields": data["custom_fields"] or None,
                "scheduled_date": scheduled.isoformat() if scheduled else None,
                "webhook_id": data["webhook_id"],
            },
        }

    def summary(self) -> dict[str, Any]:
        """What the result page shows of a valid draft, and the form as filled in (files by
        token) to fill it in again."""
        data = self.form.cleaned_data
        scheduled = data["scheduled_at"]
        return {
            "files": [
                {"name": f.filename, "pages": f.pages, "size": f.size, "type": f.file_type}
                for f in self.files
            ],
            "cover_page": self.form.covers.name(data["cover_page"]),
            "subject": data["subject"],
            "caller_id": data["caller_id"].number if data["caller_id"] else "",
            "contacts": len(data["recipient_contacts"]),
            "tags": data["tags"],
            "scheduled_at": scheduled.isoformat() if scheduled else None,
            "form": {
                **{name: self.form.data.get(name, "") for name in DRAFT_FIELDS},
                "files": [str(f.token) for f in self.files],
                "cf_key": [k for k, _ in self.cf_rows],
                "cf_value": [v for _, v in self.cf_rows],
            },
        }

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def known_pages(self) -> int:
        return sum(f.pages or 0 for f in self.files)

    @property
    def pages_unknown(self) -> bool:
        return any(f.pages is None for f in self.files)


def _apply_action(action: str, files: list[StagedFile], cf_rows: list[tuple[str, str]]) -> None:
    verb, _, target = action.partition(":")
    if verb == "add_field":
        cf_rows.append(("", ""))
    elif verb == "remove_field" and re.fullmatch("[0-9]{1,3}", target):
        del cf_rows[int(target) : int(target) + 1]
    index = next((i for i, f in enumerate(files) if str(f.token) == target), None)
    if index is None:
        return
    if verb == "remove":
        del files[index]
    elif verb == "up" and index > 0:
        files[index - 1], files[index] = files[index], files[index - 1]
    elif verb == "down" and index < len(files) - 1:
        files[index + 1], files[index] = files[index], files[index + 1]


def accept_uploads(
    *, user: AbstractBaseUser, uploads: Sequence[UploadedFile], kept: Sequence[StagedFile]
) -> tuple[list[StagedFile], list[tuple[str, str]]]:
    """Keep new uploads after `kept` within the caps: (kept, refused as (name, reason))."""
    caps = limits()
    accepted: list[StagedFile] = []
    refused: list[tuple[str, str]] = []
    for upload in uploads:
        files = [*kept, *accepted]
        try:
            if len(files) >= caps["max_files"]:
                raise RefusedFile(f"a send holds at most {caps['max_files']} files")
            if sum(f.size for f in files) + upload.size > caps["max_total"]:
                raise RefusedFile(
                    f"it would take this send over {caps['max_total_text']}, the limit"
                )
            accepted.append(staged_file_create(user=user, upload=upload))
        except RefusedFile as exc:
            refused.append((upload.name or "a file", str(exc)))
    return accepted, refused


def draft_data_for_resend(submission: Submission) -> QueryDict | None:
    """An earlier send's form for "edit and send again" (only the refused numbers after a
    partly refused send); None once the saved form was purged."""
    kept = submission.summary.get("form")
    if kept is None:
        return None
    data = QueryDict(mutable=True)
    for name, value in kept.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    if submission.state == Submission.State.DONE:
        # Only the refused numbers: the contacts (and the other numbers) were faxed.
        refused = [r["recipient"] for r in submission.results if r.get("error")]
        data["recipients"] = "\n".join(refused)
        data["recipient_contacts"] = ""
    return data


def draft_data_for_forward(*, user: AbstractBaseUser, fax: Fax) -> QueryDict:
    """A send form for forwarding a received fax: its stored PDF as the first file (copied
    for the sender, never uploaded again) and a cover page note saying what it is.
    FileNotFoundError when the PDF is not stored, RefusedFile when it is over the limits."""
    sender = format_national(fax.other_party) or "an unknown sender"
    if fax.fax_csid and fax.fax_csid != fax.other_party:
        sender += f" ({fax.fax_csid})"
    received = timezone.localtime(fax.created_at, profile_for(user).tzinfo)
    with open_document(fax.pdf_path) as handle:
        name = f"fax-received-{received:%Y-%m-%d-%H%M}.pdf"
        size = os.fstat(handle.fileno()).st_size
        document = UploadedFile(handle, name=name, content_type="application/pdf", size=size)
        staged = staged_file_create(user=user, upload=document)
    data = QueryDict(mutable=True)
    data.update(
        {
            "files": str(staged.token),
            "forwarded_from": str(fax.message_id),
            "cover_page": DEFAULT_COVER,
            "notes": f"Forwarded fax from {sender} received {received:%b %-d, %Y %H:%M}.",
        }
    )
    return data


# --- sending -------------------------------------------------------------------------------


class FileGone(Exception):
    """A kept file was deleted (retention period) between the form and the send."""


# More recipients than this are sent by a task (`send_call`): the request answers at once.
QUEUE_ABOVE = 5


def fax_send(
    *, client: DrenfaxClient, user: AbstractBaseUser, key: uuid.UUID, draft: SendDraft
) -> tuple[Submission, bool]:
    """Send a valid draft once for this key; (submission, True) if this call sent it, or
    wrote it down "queued" for a task to send (more than QUEUE_ABOVE recipients).

    The files are read first, so a missing file uses up no key; a key used before returns
    its submission and False, and nothing is sent.
    """
    request = draft.request()
    attachments = _attachments(draft.files)
    submission, created = submission_claim(
        key=key,
        user=user,
        kind=Submission.Kind.SEND,
        recipients=request["recipients"],
        summary=draft.summary(),
        queued=request if len(request["recipients"]) > QUEUE_ABOVE else None,
        forwarded_from=draft.form.cleaned_data["forwarded_from"],
    )
    if created and submission.state == Submission.State.SUBMITTING:
        submission_execute(submission, _call(client, request, attachments))
    return submission, created


def send_call(client: DrenfaxClient, submission: Submission) -> Callable[[], Any]:
    """The API call of a queued send (for `submission_run`); FileGone if a file is gone."""
    request = submission.request
    files = staged_uploads(submission.user, parse_tokens(request["files"]))
    if len(files) < len(request["files"]):
        raise FileGone(FILE_GONE)
    return _call(client, request, _attachments(files))


FILE_GONE = "a file of this send was deleted before it could be sent; attach it again"


def _attachments(files: Sequence[StagedFile]) -> list[tuple[str, bytes, str]]:
    """The files as the client sends them, read now; FileGone if one was purged."""
    try:
        return [(f.filename, staged_file_read(f), f.content_type) for f in files]
    except FileNotFoundError:
        raise FileGone(FILE_GONE) from None


def _call(
    client: DrenfaxClient, request: dict[str, Any], attachments: list[tuple[str, bytes, str]]
) -> Callable[[], Any]:
    recipients, contacts = request["recipients"], request["contacts"]
    arguments = dict(request["arguments"])
    if arguments["scheduled_date"]:
        arguments["scheduled_date"] = datetime.fromisoformat(arguments["scheduled_date"])
    # One API call whatever the number of recipients: `/v1/faxes` takes one fax number
    # (`faxNumber`) and nothing else; several numbers, or contacts, go to `/multiple`.
    if len(recipients) == 1 and not contacts:
        return lambda: client.send_fax(recipients[0], attachments=attachments, **arguments)
    return lambda: client.send_multiple(
        recipients, recipient_contacts=contacts, attachments=attachments, **arguments
    )


def fax_preview(*, client: DrenfaxClient, user: AbstractBaseUser, draft: SendDraft) -> StagedFile:
    """Render a draft through Drenfax (nothing is sent) and keep the PDF for its owner."""
    attachments = _attachments(draft.files)
    pdf = client.preview_fax(attachments=attachments, **draft.rendering_arguments())
    return preview_store(user=user, pdf=pdf)


def retention_text() -> str:
    hours = settings.UPLOAD_RETENTION_HOURS
    count, unit = (hours // 24, "day") if hours % 24 == 0 else (hours, "hour")
    return f"{count:g} {unit}{pluralize(count)}"


# --- the result page -----------------------------------------------------------------------


def send_summary(submission: Submission, user: AbstractBaseUser) -> dict[str, Any] | None:
    """What the result page shows of a send (None for a resend or a blast): its summary, and
    whether its form can be filled in again (only the refused numbers after a partly refused
    send)."""
    if submission.kind != Submission.Kind.SEND:
        return None
    summary, state = submission.summary, submission.state
    scheduled = summary.get("scheduled_at")
    refused = any(r.get("error") for r in submission.results)
    return {
        **summary,
        "scheduled_at": datetime.fromisoformat(scheduled) if scheduled else None,
        "can_edit_again": (
            submission.user_id == user.pk
            and "form" in summary
            and (
                state in (Submission.State.FAILED, Submission.State.NOT_SENT)
                or (state == Submission.State.DONE and refused)
            )
        ),
        "only_refused": state == Submission.State.DONE,
    }
