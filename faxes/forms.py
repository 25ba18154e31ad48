"""The fax forms: the send form (recipients, cover page, options, checked against the API's
limits) and the history filters."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone

from drenfax_portal.accounts.services import profile_for
from drenfax_portal.client import InvalidInputError, wire
from drenfax_portal.client.limits import NAME_MAX, NOTES_MAX, SUBJECT_MAX
from drenfax_portal.forms import (
    DATE_RANGE_MESSAGE,
    EARLIEST_DATE,
    LATEST_DATE,
    FilterForm,
    PortalDateField,
    PortalForm,
)
from drenfax_portal.uuids import parse_uuid
from fax_numbers.models import FaxNumber
from fax_numbers.phone import InvalidNumber, parse_number
from fax_numbers.selectors import MEMBER_STATES, visible_numbers
from faxes.models import NOTE_MAX, Direction, Fax, FaxStatus, StagedFile
from faxes.selectors import visible_faxes
from faxes.services.uploads import limits

# One form sends one fax to each of these; a longer list is a blast (an Excel file).
MAX_RECIPIENTS = 100
# Only this much typed text is read for numbers (the field refuses more).
RECIPIENTS_TEXT_MAX = 20_000
MAX_TAGS = 20
TAG_MAX = 100
MAX_CUSTOM_FIELDS = 20
CUSTOM_KEY_MAX = 100
CUSTOM_VALUE_MAX = 1000
# Cover page choices besides the account's named pages.
NO_COVER = ""
DEFAULT_COVER = "default"
_SEPARATORS = re.compile(r"[,;\r\n]+")


def split_list(text: str) -> list[str]:
    """Entries separated by commas, semicolons or new lines, trimmed, blanks dropped."""
    return [part.strip() for part in _SEPARATORS.split(text or "") if part.strip()]


@dataclass(frozen=True)
class RecipientEntry:
    typed: str
    number: str | None = None  # E.164 when valid
    problem: str = ""  # why it is not a fax number
    duplicate: bool = False  # the same number appears earlier in the list


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
        if self.error and (page_id := parse_uuid(value)):
            return str(page_id)  # the list is unavailable: let Drenfax judge a well-formed id
        raise forms.ValidationError("That cover page is not available; choose another one.")

    def name(self, value: str) -> str:
        """How a checked choice reads on the result page ("" for none)."""
        if value == NO_COVER:
            return ""
        if value == DEFAULT_COVER:
            return "Default cover page"
        page = self.get(value)
        return page.name if page else "Cover page"


def _limited_text(
    limit: int, field: type[forms.CharField] = forms.CharField, **kwargs: Any
) -> forms.CharField:
    """An optional text field of at most `limit` characters."""
    message = f"At most {limit} characters (this has %(show_value)d)."
    return field(required=False, max_length=limit, error_messages={"max_length": message}, **kwargs)


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
    recipient_name = _limited_text(NAME_MAX)
    sender_name = _limited_text(NAME_MAX)
    subject = _limited_text(SUBJECT_MAX)
    notes = _limited_text(NOTES_MAX, NormalisedTextField, strip=False)
    caller_id = forms.ChoiceField(label="Caller id", required=False)
    tags = forms.CharField(label="Tags", required=False, max_length=5_000)
    # Not posted: checks the key/value rows the draft holds (see clean_custom_fields).
    custom_fields = forms.Field(label="Custom fields", required=False)
    scheduled_at = forms.CharField(label="Send at", required=False, max_length=40)
    # Staff only: naming a webhook sends this fax's events to it alone, not to the portal's.
    webhook_id = forms.CharField(label="Webhook id", required=False, max_length=64)
    # A forward: the received fax whose document is the first file (linked on both pages).
    forwarded_from = forms.CharField(required=False, max_length=64)

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
            contact = parse_uuid(entry)
            if contact is None:
                raise forms.ValidationError(
                    f"“{entry}” is not a contact id (one looks like "
                    "d1077489-5ea1-4db1-9760-853f175e8288)."
                )
            contacts.append(str(contact))
        return list(dict.fromkeys(contacts))  # each once, in the order given

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
        moment = local.replace(tzinfo=self.tz).astimezone(UTC)
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

    def clean_forwarded_from(self) -> Fax | None:
        value = self.cleaned_data["forwarded_from"]
        if not value:
            return None
        fax = visible_faxes(self.user).filter(
            message_id=parse_uuid(value), direction=Direction.INBOUND
        )
        if (found := fax.first()) is None:
            raise forms.ValidationError("The fax being forwarded is no longer yours to see.")
        return found

    def drop_errors(self, keep: Collection[str] = ()) -> None:
        """Forget the errors of fields outside `keep` (all of them by default)."""
        for name in list(self.errors):
            if name not in keep:
                del self.errors[name]


STATUS_CHOICES = [
    ("", "Any status"),
    ("open", "Not finished yet"),
    *FaxStatus.choices,
]
ARCHIVED_CHOICES = [("", "Not archived"), ("yes", "Archived only"), ("all", "Archived or not")]
DIRECTION_CHOICES = [("", "Both directions"), *Direction.choices]
TEAM_CHOICES = [
    ("", "Anyone's"),
    ("mine", "My faxes"),
    ("unassigned", "Unassigned"),
    ("done", "Done"),
]


class HistoryFilterForm(FilterForm):
    """The history's filters, all optional; an invalid value is reported and ignored."""

    q = forms.CharField(required=False, max_length=100, label="Search")
    direction = forms.ChoiceField(required=False, choices=DIRECTION_CHOICES)
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)
    number = forms.ChoiceField(required=False, label="Our number")
    date_from = PortalDateField(required=False, label="From")
    date_to = PortalDateField(required=False, label="To")
    archived = forms.ChoiceField(required=False, choices=ARCHIVED_CHOICES)
    tag = forms.CharField(required=False, max_length=100)
    team = forms.ChoiceField(required=False, choices=TEAM_CHOICES, label="Team")

    def __init__(self, data: Any, *, user: AbstractBaseUser) -> None:
        super().__init__(data)
        numbers = visible_numbers(user).order_by("number")
        self.fields["number"].choices = [
            ("", "Any number" if user.is_staff else "Any of my numbers")
        ] + [(str(n.uuid), n.national) for n in numbers]

    @property
    def active_count(self) -> int:
        return len([k for k in self.filters if k != "archived"])


class NoteForm(PortalForm):
    text = NormalisedTextField(
        label="Add a note",
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For the team only: never sent anywhere.",
        error_messages={"required": "Write the note first."},
    )
