"""The send form: what it accepts, how it is checked, and the two calls it makes.

A posted form becomes a `SendDraft`, checked by `SendForm` against the API's limits; a
valid draft gives an `Outgoing`, which `fax_preview` renders and `fax_send` sends once per
submission key: one recipient through `send_fax`, several through ONE `send_multiple` call.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import zip_longest
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone

from drenfax_portal.accounts.services import profile_for
from drenfax_portal.api import describe_error, get_client
from drenfax_portal.client import DrenfaxClient, DrenfaxError, InvalidInputError, wire
from drenfax_portal.client.limits import NAME_MAX, NOTES_MAX, SUBJECT_MAX
from drenfax_portal.forms import DATE_RANGE_MESSAGE, EARLIEST_DATE, LATEST_DATE
from fax_numbers.models import FaxNumber
from fax_numbers.phone import InvalidNumber, format_national, parse_number
from fax_numbers.selectors import MEMBER_STATES, visible_numbers
from faxes.models import StagedFile, Submission
from faxes.submissions import submission_claim, submission_execute
from faxes.uploads import (
    RefusedFile,
    limits,
    parse_tokens,
    preview_store,
    staged_file_create,
    staged_file_read,
    staged_uploads,
)

# One form sends one fax to each of these; a longer list is a blast (an Excel file).
MAX_RECIPIENTS = 100
# Only this much typed text is read for numbers (the field refuses more).
RECIPIENTS_TEXT_MAX = 20_000
MAX_TAGS = 20
TAG_MAX = 100
MAX_CUSTOM_FIELDS = 20
CUSTOM_KEY_MAX = 100
CUSTOM_VALUE_MAX = 1000
COVER_PAGES_TTL = 600  # seconds the cover page list is cached
# Cover page choices besides the account's named pages.
NO_COVER = ""
DEFAULT_COVER = "default"

_SEPARATORS = re.compile(r"[,;\r\n]+")
# Form fields a draft keeps, to fill the form in again (a refused send, "edit and resend").
DRAFT_FIELDS = (
    "recipients",
    "recipient_contacts",
    "cover_page",
    "recipient_name",
    "sender_name",
    "subject",
    "notes",
    "caller_id",
    "tags",
    "scheduled_at",
    "webhook_id",
)
# Fields that shape the rendered fax; only these must be valid to preview it.
PREVIEW_FIELDS = frozenset(
    {"cover_page", "attachments", "recipient_name", "sender_name", "subject", "notes", "caller_id"}
)


def split_list(text: str) -> list[str]:
    """Entries separated by commas, semicolons or new lines, trimmed, blanks dropped."""
    return [part.strip() for part in _SEPARATORS.split(text or "") if part.strip()]


# --- recipients --------------------------------------------------------------------------


@dataclass(frozen=True)
class RecipientEntry:
    typed: str
    number: str | None = None  # E.164 when valid
    problem: str = ""  # why it is not a fax number
    duplicate: bool = False  # the same number appears earlier in the list

    @property
    def national(self) -> str:
        return format_national(self.number) if self.number else ""


@dataclass(frozen=True)
class RecipientCheck:
    entries: list[RecipientEntry] = field(default_factory=list)

    @property
    def numbers(self) -> list[str]:
        """The valid numbers in E.164, in the order typed, each once."""
        return [e.number for e in self.entries if e.number and not e.duplicate]

    @property
    def bad(self) -> list[RecipientEntry]:
        return [e for e in self.entries if e.problem]

    @property
    def duplicates(self) -> list[RecipientEntry]:
        return [e for e in self.entries if e.duplicate]

    @property
    def too_many(self) -> bool:
        return len(self.numbers) > MAX_RECIPIENTS


def check_recipients(text: str) -> RecipientCheck:
    """Each typed or pasted entry normalised to E.164, or the reason it is not a number."""
    entries: list[RecipientEntry] = []
    seen: set[str] = set()
    for typed in split_list((text or "")[:RECIPIENTS_TEXT_MAX]):
        try:
            number = parse_number(typed)
        except InvalidNumber as exc:
            entries.append(RecipientEntry(typed=typed, problem=str(exc)))
            continue
        entries.append(RecipientEntry(typed=typed, number=number, duplicate=number in seen))
        seen.add(number)
    return RecipientCheck(entries)


# --- cover pages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverPageOption:
    uuid: str
    name: str
    preview_link: str | None  # the provider's picture of it, when it is a plain web address


@dataclass(frozen=True)
class CoverPages:
    pages: list[CoverPageOption]
    error: str | None = None  # why the list could not be loaded, in plain words

    def get(self, value: str) -> CoverPageOption | None:
        return next((p for p in self.pages if p.uuid == value), None)

    def choice(self, value: str, *, allow_none: bool = True) -> str:
        """A posted cover page choice, checked; raises forms.ValidationError."""
        value = (value or "").strip().lower()
        if value == NO_COVER and not allow_none:
            raise forms.ValidationError("Choose a cover page.")
        if value in (NO_COVER, DEFAULT_COVER) or self.get(value):
            return value
        if self.error:  # the list is unavailable: let Drenfax judge a well-formed id
            try:
                return str(uuid.UUID(value))
            except ValueError:
                pass
        raise forms.ValidationError("That cover page is not available; choose another one.")

    def name(self, value: str) -> str:
        """How a checked choice reads on the result page ("" for none)."""
        if value == NO_COVER:
            return ""
        if value == DEFAULT_COVER:
            return "Default cover page"
        page = self.get(value)
        return page.name if page else "Cover page"


def cover_page_arguments(value: str) -> dict[str, Any]:
    """The client's `cover_page` and `cover_page_id` for a checked choice."""
    return {
        "cover_page": value != NO_COVER,
        "cover_page_id": value if value not in (NO_COVER, DEFAULT_COVER) else None,
    }


def _web_link(value: str | None) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
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


# --- the form ------------------------------------------------------------------------------


def _limit_messages(limit: int) -> dict[str, str]:
    return {"max_length": f"At most {limit} characters (this has %(show_value)d)."}


class NormalisedTextField(forms.CharField):
    """A textarea's text with CRLF as one character, as the user and the live counter
    count it against the API's limit."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return text.replace("\r\n", "\n").replace("\r", "\n")


class SendForm(forms.Form):
    """Every field of the send endpoints, checked as the API would check them, and more."""

    recipients = forms.CharField(
        label="Fax numbers", required=False, max_length=RECIPIENTS_TEXT_MAX
    )
    recipient_contacts = forms.CharField(label="Contact ids", required=False, max_length=5_000)
    cover_page = forms.CharField(label="Cover page", required=False)
    # Not posted: checks the files the draft holds (see clean_attachments).
    attachments = forms.Field(label="Documents", required=False)
    recipient_name = forms.CharField(
        required=False, max_length=NAME_MAX, error_messages=_limit_messages(NAME_MAX)
    )
    sender_name = forms.CharField(
        required=False, max_length=NAME_MAX, error_messages=_limit_messages(NAME_MAX)
    )
    subject = forms.CharField(
        required=False, max_length=SUBJECT_MAX, error_messages=_limit_messages(SUBJECT_MAX)
    )
    notes = NormalisedTextField(
        required=False,
        strip=False,
        max_length=NOTES_MAX,
        error_messages=_limit_messages(NOTES_MAX),
    )
    caller_id = forms.ChoiceField(label="Caller id", required=False)
    tags = forms.CharField(label="Tags", required=False, max_length=5_000)
    # Not posted: checks the key/value rows the draft holds (see clean_custom_fields).
    custom_fields = forms.Field(label="Custom fields", required=False)
    scheduled_at = forms.CharField(label="Send at", required=False, max_length=40)
    # Staff only: naming a webhook sends this fax's events to it alone, not to the portal's.
    webhook_id = forms.CharField(label="Webhook id", required=False, max_length=64)

    def __init__(
        self,
        data: Any = None,
        *,
        user: AbstractBaseUser,
        files: Sequence[StagedFile] = (),
        cf_rows: Sequence[tuple[str, str]] = (),
        covers: CoverPages | None = None,
    ) -> None:
        super().__init__(data)
        self.user = user
        self.files = list(files)
        self.cf_rows = list(cf_rows)
        self.covers = covers if covers is not None else CoverPages(pages=[])
        self.tz: ZoneInfo = profile_for(user).tzinfo
        self.numbers = {
            str(n.uuid): n
            for n in visible_numbers(user).filter(state__in=MEMBER_STATES).order_by("number")
        }
        self.fields["caller_id"].choices = [("", "Account default")] + [
            (key, n.national) for key, n in self.numbers.items()
        ]
        self.recipient_check = check_recipients(self.data.get("recipients", ""))

    # Each clean_<field> runs in field order, so clean_attachments sees the cover page.

    def clean_recipients(self) -> list[str]:
        check = check_recipients(self.cleaned_data["recipients"])
        self.recipient_check = check
        if check.bad:
            listed = "; ".join(f"“{e.typed}” ({e.problem})" for e in check.bad)
            raise forms.ValidationError(f"Not fax numbers: {listed}. Correct or remove them.")
        if not check.numbers:
            raise forms.ValidationError("Enter at least one fax number.")
        if check.too_many:
            raise forms.ValidationError(
                f"At most {MAX_RECIPIENTS} recipients per send ({len(check.numbers)} given); "
                "send a blast for longer lists."
            )
        return check.numbers

    def clean_recipient_contacts(self) -> list[str]:
        contacts: list[str] = []
        for entry in split_list(self.cleaned_data["recipient_contacts"].replace(" ", ",")):
            try:
                contact = str(uuid.UUID(entry))
            except ValueError:
                raise forms.ValidationError(
                    f"“{entry}” is not a contact id (one looks like "
                    "d1077489-5ea1-4db1-9760-853f175e8288)."
                ) from None
            if contact not in contacts:
                contacts.append(contact)
        return contacts

    def clean_cover_page(self) -> str:
        return self.covers.choice(self.cleaned_data["cover_page"])

    def clean_attachments(self) -> list[StagedFile]:
        caps = limits()
        if not self.files and self.cleaned_data.get("cover_page", NO_COVER) == NO_COVER:
            raise forms.ValidationError("Add a file to send, or a cover page (or both).")
        if len(self.files) > caps["max_files"]:
            raise forms.ValidationError(
                f"At most {caps['max_files']} files per send; remove "
                f"{len(self.files) - caps['max_files']}."
            )
        total = sum(f.size for f in self.files)
        if total > caps["max_total"]:
            raise forms.ValidationError(
                f"The files add up to {filesizeformat(total)}; at most "
                f"{caps['max_total_text']} per send. Remove some."
            )
        pages = sum(f.pages or 0 for f in self.files)  # Word and text: Drenfax counts them
        if pages > caps["max_pages"]:
            raise forms.ValidationError(
                f"The files have {pages} pages; at most {caps['max_pages']} per send. Remove some."
            )
        return self.files

    def clean_caller_id(self) -> FaxNumber | None:
        value = self.cleaned_data["caller_id"]
        if not value:
            return None
        number = self.numbers[value]  # the field's choices made sure it is one of them
        try:
            wire.caller_id(number.number)
        except InvalidInputError:
            raise forms.ValidationError(
                f"{number.national} cannot be a caller id: Drenfax takes 10-digit numbers."
            ) from None
        return number

    def clean_tags(self) -> list[str]:
        tags: list[str] = []
        for tag in split_list(self.cleaned_data["tags"]):
            if len(tag) > TAG_MAX:
                raise forms.ValidationError(f"A tag has at most {TAG_MAX} characters.")
            if tag not in tags:
                tags.append(tag)
        if len(tags) > MAX_TAGS:
            raise forms.ValidationError(f"At most {MAX_TAGS} tags.")
        return tags

    def clean_custom_fields(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        problems: list[str] = []
        for key, value in self.cf_rows:
            if not key and not value:
                continue
            if not key:
                problems.append(f"the value “{value[:40]}” needs a name")
            elif key in fields:
                problems.append(f"“{key}” is given twice")
            elif len(key) > CUSTOM_KEY_MAX or len(value) > CUSTOM_VALUE_MAX:
                problems.append(
                    f"“{key[:40]}” is too long (names up to {CUSTOM_KEY_MAX} characters, "
                    f"values up to {CUSTOM_VALUE_MAX})"
                )
            else:
                fields[key] = value
        if len(fields) > MAX_CUSTOM_FIELDS:
            problems.append(f"at most {MAX_CUSTOM_FIELDS} custom fields")
        if problems:
            raise forms.ValidationError("Custom fields: " + "; ".join(problems) + ".")
        return fields

    def clean_scheduled_at(self) -> datetime | None:
        """A wall-clock time in the user's zone, as UTC; a time that has passed is refused."""
        text = self.cleaned_data["scheduled_at"].strip()
        if not text:
            return None
        try:
            local = datetime.fromisoformat(text.replace(" ", "T"))
        except ValueError:
            raise forms.ValidationError("Enter the date and time like 2030-01-31 14:30.") from None
        if local.tzinfo is not None:
            raise forms.ValidationError("Enter the time without a time zone; yours is used.")
        if not EARLIEST_DATE <= local.date() <= LATEST_DATE:
            raise forms.ValidationError(DATE_RANGE_MESSAGE)
        aware = local.replace(tzinfo=self.tz)
        moment = aware.astimezone(UTC)
        if moment.astimezone(self.tz).replace(tzinfo=None) != local:
            raise forms.ValidationError(
                f"{text} does not exist in {self.tz.key} (the clocks change then); pick "
                "another time."
            )
        now = timezone.now()
        if moment <= now:
            shown = formats.date_format(now.astimezone(self.tz), "M j, Y H:i")
            raise forms.ValidationError(
                f"That time has passed (it is now {shown} in {self.tz.key}). Leave the field "
                "empty to send now."
            )
        return moment

    def clean_webhook_id(self) -> str | None:
        value = self.cleaned_data["webhook_id"].strip()
        if not value:
            return None
        if not self.user.is_staff:
            raise forms.ValidationError("Only staff choose the webhook of a fax.")
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise forms.ValidationError("A webhook id looks like d1077489-5ea1-4db1-…") from None

    def drop_errors(self, keep: frozenset[str] | None) -> None:
        """Forget errors of fields outside `keep` (all of them when None)."""
        for name in list(self.errors):
            if keep is None or name not in keep:
                del self.errors[name]


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
        form = SendForm(user=user, covers=covers)
        return cls(form=form, files=[], cf_rows=[("", "")])

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
        action = data.get("action", "")
        files, cf_rows = _apply_action(action, files, cf_rows)
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

    def outgoing(self) -> Outgoing:
        """What the draft sends, once validated; a preview needs only PREVIEW_FIELDS valid."""
        data = self.form.cleaned_data
        return Outgoing(
            recipients=data.get("recipients", []),
            contacts=data.get("recipient_contacts", []),
            files=list(self.files),
            cover_page=data["cover_page"],
            cover_name=self.form.covers.name(data["cover_page"]),
            recipient_name=data["recipient_name"],
            sender_name=data["sender_name"],
            subject=data["subject"],
            notes=data["notes"],
            caller_id=data["caller_id"],
            tags=data.get("tags", []),
            custom_fields=data.get("custom_fields", {}),
            scheduled_at=data.get("scheduled_at"),
            webhook_id=data.get("webhook_id"),
        )

    def data_to_keep(self) -> dict[str, Any]:
        """The form as filled in, to fill it in again later (files by token)."""
        data = self.form.data
        kept: dict[str, Any] = {name: data.get(name, "") for name in DRAFT_FIELDS}
        kept["files"] = [str(f.token) for f in self.files]
        kept["cf_key"] = [k for k, _ in self.cf_rows]
        kept["cf_value"] = [v for _, v in self.cf_rows]
        return kept

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def known_pages(self) -> int:
        return sum(f.pages or 0 for f in self.files)

    @property
    def pages_unknown(self) -> bool:
        return any(f.pages is None for f in self.files)


def _apply_action(
    action: str, files: list[StagedFile], cf_rows: list[tuple[str, str]]
) -> tuple[list[StagedFile], list[tuple[str, str]]]:
    verb, _, target = action.partition(":")
    if verb == "add_field":
        return files, [*cf_rows, ("", "")]
    if verb == "remove_field" and target.isdigit() and int(target) < len(cf_rows):
        return files, [row for i, row in enumerate(cf_rows) if i != int(target)]
    index = next((i for i, f in enumerate(files) if str(f.token) == target), None)
    if index is None:
        return files, cf_rows
    files = list(files)
    if verb == "remove":
        del files[index]
    elif verb == "up" and index > 0:
        files[index - 1], files[index] = files[index], files[index - 1]
    elif verb == "down" and index < len(files) - 1:
        files[index + 1], files[index] = files[index], files[index + 1]
    return files, cf_rows


def accept_uploads(
    *, user: AbstractBaseUser, uploads: Sequence[UploadedFile], kept: Sequence[StagedFile]
) -> tuple[list[StagedFile], list[tuple[str, str]]]:
    """Keep new uploads after `kept` within the caps: (kept, refused as (name, reason))."""
    caps = limits()
    count, total = len(kept), sum(f.size for f in kept)
    accepted: list[StagedFile] = []
    refused: list[tuple[str, str]] = []
    for upload in uploads:
        name = upload.name or "a file"
        if count + 1 > caps["max_files"]:
            refused.append((name, f"a send holds at most {caps['max_files']} files"))
            continue
        if total + upload.size > caps["max_total"]:
            refused.append(
                (name, f"it would take this send over {caps['max_total_text']}, the limit")
            )
            continue
        try:
            staged = staged_file_create(user=user, upload=upload)
        except RefusedFile as exc:
            refused.append((name, str(exc)))
            continue
        accepted.append(staged)
        count, total = count + 1, total + staged.size
    return accepted, refused


def draft_data_for_resend(submission: Submission) -> QueryDict | None:
    """An earlier send's form for "edit and send again" (only the refused numbers after a
    partly refused send); None once the saved form was purged."""
    kept = submission.summary.get("form") if isinstance(submission.summary, dict) else None
    if not isinstance(kept, dict):
        return None
    data = QueryDict(mutable=True)
    for name, value in kept.items():
        if isinstance(value, list):
            data.setlist(name, [str(v) for v in value])
        else:
            data[name] = str(value)
    if submission.state == Submission.State.DONE:
        refused = [r["recipient"] for r in submission.results if r.get("error")]
        data["recipients"] = "\n".join(refused)
    return data


# --- sending -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """A checked send: recipients in E.164, files in order, and every field of the API."""

    recipients: list[str]
    contacts: list[str]
    files: list[StagedFile]
    cover_page: str  # NO_COVER, DEFAULT_COVER or a cover page's uuid
    cover_name: str
    recipient_name: str
    sender_name: str
    subject: str
    notes: str
    caller_id: FaxNumber | None
    tags: list[str]
    custom_fields: dict[str, str]
    scheduled_at: datetime | None  # UTC
    webhook_id: str | None = None

    def attachments(self) -> list[tuple[str, bytes, str]]:
        """The files as the client sends them, read now; FileNotFoundError if one is gone."""
        return [(f.filename, staged_file_read(f), f.content_type) for f in self.files]

    def rendering_arguments(self) -> dict[str, Any]:
        """The arguments shared by preview and send: cover page and its fields."""
        return {
            **cover_page_arguments(self.cover_page),
            "recipient_name": self.recipient_name or None,
            "sender_name": self.sender_name or None,
            "subject": self.subject or None,
            "notes": self.notes or None,
            "caller_id": self.caller_id.number if self.caller_id else None,
        }

    def send_arguments(self) -> dict[str, Any]:
        return {
            **self.rendering_arguments(),
            "tags": self.tags,
            "custom_fields": self.custom_fields or None,
            "scheduled_date": self.scheduled_at,
            "webhook_id": self.webhook_id,
        }

    def queued(self) -> dict[str, Any]:
        """The send as a task makes it (`send_call`): files by their tokens."""
        arguments = self.send_arguments()
        if arguments["scheduled_date"] is not None:
            arguments["scheduled_date"] = arguments["scheduled_date"].isoformat()
        return {
            "recipients": self.recipients,
            "contacts": self.contacts,
            "files": [str(f.token) for f in self.files],
            "arguments": arguments,
        }

    def summary(self, form: dict[str, Any]) -> dict[str, Any]:
        """What the result page shows of the send, plus the form to fill in again."""
        return {
            "files": [
                {"name": f.filename, "pages": f.pages, "size": f.size, "type": f.file_type}
                for f in self.files
            ],
            "cover_page": self.cover_name,
            "subject": self.subject,
            "caller_id": self.caller_id.number if self.caller_id else "",
            "contacts": len(self.contacts),
            "tags": self.tags,
            "scheduled_at": self.scheduled_at.isoformat() if self.scheduled_at else None,
            "form": form,
        }


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
    outgoing = draft.outgoing()
    try:
        attachments = outgoing.attachments()
    except FileNotFoundError:
        raise FileGone from None
    submission, created = submission_claim(
        key=key,
        user=user,
        kind=Submission.Kind.SEND,
        recipients=outgoing.recipients,
        summary=outgoing.summary(draft.data_to_keep()),
        queued=outgoing.queued() if len(outgoing.recipients) > QUEUE_ABOVE else None,
    )
    if created and submission.state == Submission.State.SUBMITTING:
        submission_execute(
            submission,
            _call(client, outgoing.recipients, outgoing.contacts, attachments,
                  outgoing.send_arguments()),
        )  # fmt: skip
    return submission, created


def send_call(client: DrenfaxClient, submission: Submission) -> Callable[[], Any]:
    """The API call of a queued send (for `submission_run`); FileGone if a file is gone."""
    request = submission.request
    files = staged_uploads(submission.user, [uuid.UUID(t) for t in request["files"]])
    try:
        if len(files) < len(request["files"]):
            raise FileNotFoundError
        attachments = [(f.filename, staged_file_read(f), f.content_type) for f in files]
    except FileNotFoundError:
        raise FileGone(
            "a file of this send was deleted before it could be sent; attach it again"
        ) from None
    arguments = dict(request["arguments"])
    if arguments["scheduled_date"]:
        arguments["scheduled_date"] = datetime.fromisoformat(arguments["scheduled_date"])
    return _call(client, request["recipients"], request["contacts"], attachments, arguments)


def _call(
    client: DrenfaxClient,
    recipients: list[str],
    contacts: list[str],
    attachments: list[tuple[str, bytes, str]],
    arguments: dict[str, Any],
) -> Callable[[], Any]:
    # One API call whatever the number of recipients: `/v1/faxes` takes one fax number
    # (`faxNumber`) and nothing else; several numbers, or contacts, go to `/multiple`.
    if len(recipients) == 1 and not contacts:
        return lambda: client.send_fax(recipients[0], attachments=attachments, **arguments)
    return lambda: client.send_multiple(
        recipients, recipient_contacts=contacts, attachments=attachments, **arguments
    )


def fax_preview(*, client: DrenfaxClient, user: AbstractBaseUser, draft: SendDraft) -> StagedFile:
    """Render a draft through Drenfax (nothing is sent) and keep the PDF for its owner."""
    outgoing = draft.outgoing()
    try:
        attachments = outgoing.attachments()
    except FileNotFoundError:
        raise FileGone from None
    pdf = client.preview_fax(attachments=attachments, **outgoing.rendering_arguments())
    return preview_store(user=user, pdf=pdf)


def retention_text() -> str:
    hours = settings.UPLOAD_RETENTION_HOURS
    delta = timedelta(hours=hours)
    if hours % 24 == 0:
        days = delta.days
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


# --- the result page -----------------------------------------------------------------------


@dataclass(frozen=True)
class SendSummary:
    """What the result page shows of a send, and whether its form can be filled in again."""

    files: list[dict[str, Any]]
    cover_page: str
    subject: str
    caller_id: str
    tags: list[str]
    scheduled_at: datetime | None
    can_edit_again: bool
    only_refused: bool  # editing again fills in only the numbers Drenfax refused


def send_summary(submission: Submission, user: AbstractBaseUser) -> SendSummary | None:
    """The summary of a send (None for a resend or a blast)."""
    summary = submission.summary if isinstance(submission.summary, dict) else {}
    if submission.kind != Submission.Kind.SEND:
        return None
    refused = any(r.get("error") for r in submission.results)
    state = submission.state
    scheduled = summary.get("scheduled_at")
    return SendSummary(
        files=list(summary.get("files") or []),
        cover_page=str(summary.get("cover_page") or ""),
        subject=str(summary.get("subject") or ""),
        caller_id=str(summary.get("caller_id") or ""),
        tags=list(summary.get("tags") or []),
        scheduled_at=datetime.fromisoformat(scheduled) if isinstance(scheduled, str) else None,
        can_edit_again=(
            submission.user_id == user.pk
            and isinstance(summary.get("form"), dict)
            and (
                state in (Submission.State.FAILED, Submission.State.NOT_SENT)
                or (state == Submission.State.DONE and refused)
            )
        ),
        only_refused=state == Submission.State.DONE,
    )
