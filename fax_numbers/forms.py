"""The numbers pages' forms. Every bad input gets a message in plain words, field by field."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import phonenumbers
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from drenfax_portal.client.limits import PROVISION_MAX
from drenfax_portal.forms import FilterForm, PortalForm
from fax_numbers.models import FaxNumber, Provisioning
from fax_numbers.phone import InvalidNumber, format_national, parse_number

US_STATES = [
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
    ("DC", "District of Columbia"), ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"),
    ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"),
    ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
    ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"),
    ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"),
    ("OR", "Oregon"), ("PA", "Pennsylvania"), ("RI", "Rhode Island"), ("SC", "South Carolina"),
    ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"), ("UT", "Utah"),
    ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"), ("WV", "West Virginia"),
    ("WI", "Wisconsin"), ("WY", "Wyoming"),
]  # fmt: skip


def _digits(value: str, size: int, what: str, example: str) -> str:
    value = re.sub(r"[\s()\-.]", "", value or "")
    if value and not re.fullmatch(rf"[0-9]{{{size}}}", value):
        raise ValidationError(f"{what} is {size} digits, like {example}.")
    return value


# --- the numbers list ----------------------------------------------------------------------
STATE_FILTERS = [
    ("", "All current numbers"),
    *[(value, label) for value, label in FaxNumber.State.choices],
    ("all", "All, including removed"),
]


class NumberFilterForm(PortalForm, FilterForm):
    """The list's filters, all optional; an invalid value is reported and ignored."""

    q = forms.CharField(required=False, max_length=100, label="Search")
    state = forms.ChoiceField(required=False, choices=STATE_FILTERS, label="Status")


# --- search and provisioning -----------------------------------------------------------------
class SearchForm(PortalForm):
    """Search for numbers to add. Drenfax needs an area code, a city or a ZIP code."""

    npa = forms.CharField(required=False, max_length=10, label="Area code")
    nxx = forms.CharField(
        required=False,
        max_length=10,
        label="Exchange",
        help_text="The 3 digits after the area code.",
    )
    city = forms.CharField(required=False, max_length=100)
    state = forms.ChoiceField(
        required=False,
        choices=[("", "Any state"), *US_STATES],
        help_text="Recommended with a city.",
    )
    zipcode = forms.CharField(required=False, max_length=10, label="ZIP code")
    limit = forms.IntegerField(
        required=False, min_value=1, max_value=100, label="How many to show", initial=20
    )

    def clean_npa(self) -> str:
        return _digits(self.cleaned_data["npa"], 3, "An area code", "206")

    def clean_nxx(self) -> str:
        return _digits(self.cleaned_data["nxx"], 3, "An exchange", "555")

    def clean_zipcode(self) -> str:
        value = (self.cleaned_data["zipcode"] or "").strip()
        if value and not re.fullmatch(r"[0-9]{5}", value):
            raise ValidationError("A ZIP code is 5 digits, like 98101.")
        return value

    def clean_limit(self) -> int:
        return self.cleaned_data["limit"] or 20

    def clean_city(self) -> str:
        return " ".join((self.cleaned_data["city"] or "").split())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        fields = ("npa", "city", "zipcode")
        if not any(cleaned.get(f) for f in fields) and not any(self.has_error(f) for f in fields):
            raise ValidationError(
                "Enter an area code, a city or a ZIP code: Drenfax needs at least one of "
                "them to search."
            )
        return cleaned

    def search_params(self) -> dict[str, Any]:
        """The client's keyword arguments (blank fields left out)."""
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}


class NumberListField(forms.Field):
    """Several E.164 numbers, one per form value (the search results' checkboxes)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        numbers: list[str] = []
        for item in values:
            text = str(item).strip()
            if not re.fullmatch(r"\+[0-9]{8,15}", text):
                raise ValidationError(f"{text[:30]!r} is not a number from the search.")
            if text not in numbers:
                numbers.append(text)
        if len(numbers) > PROVISION_MAX:
            raise ValidationError(f"Drenfax provisions at most {PROVISION_MAX} numbers at once.")
        return numbers


class ProvisionForm(PortalForm):
    """What to provision: numbers from a search (`order`) or a quantity of random ones."""

    kind = forms.ChoiceField(choices=Provisioning.Kind.choices)
    numbers = NumberListField(required=False)
    quantity = forms.IntegerField(
        required=False, min_value=1, max_value=PROVISION_MAX, label="How many"
    )
    # Where the numbers came from, for the "back to the search" link.
    search = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("kind") == Provisioning.Kind.ORDER:
            if not cleaned.get("numbers") and not self.has_error("numbers"):
                self.add_error("numbers", "Tick at least one number to provision.")
            cleaned["quantity"] = None
        elif cleaned.get("kind"):
            cleaned["numbers"] = []
            if cleaned.get("quantity") is None and not self.has_error("quantity"):
                cleaned["quantity"] = 1
        return cleaned

    @property
    def count(self) -> int:
        if self.cleaned_data["kind"] == Provisioning.Kind.ORDER:
            return len(self.cleaned_data["numbers"])
        return self.cleaned_data["quantity"]


# --- a number's settings -----------------------------------------------------------------------
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def validate_host(value: str) -> None:
    """A server name (ftp.example.com) or an IP address; no scheme, port or folder."""
    try:
        ipaddress.ip_address(value.strip("[]"))
        return
    except ValueError:
        pass
    if "://" in value or "/" in value:
        raise ValidationError(
            "Enter only the server name, like ftp.example.com: no ftp:// and no folder "
            "(the folder has its own field)."
        )
    labels = value.rstrip(".").split(".")
    if len(value) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise ValidationError("Enter a server name like ftp.example.com, or an IP address.")


class StorageForm(PortalForm):
    """FTP/SFTP storage settings. The password is write-only: never rendered back."""

    protocol = forms.ChoiceField(
        choices=[("sftp", "SFTP (encrypted, recommended)"), ("ftp", "FTP")], label="Protocol"
    )
    host = forms.CharField(max_length=255, label="Server", validators=[validate_host])
    port = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=65535,
        help_text="Blank: the usual one (22 for SFTP, 21 for FTP).",
    )
    user = forms.CharField(max_length=255, label="User name")
    password = forms.CharField(
        required=False,
        max_length=500,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    output_dir = forms.CharField(
        required=False,
        max_length=255,
        label="Folder",
        help_text="Where faxes are saved on the server, like uploads/faxes/ (blank: the top).",
    )

    def __init__(self, *args: Any, has_password: bool = False, **kwargs: Any) -> None:
        # Its own ids: the number's page has other forms with a "user" field.
        kwargs.setdefault("auto_id", "id_storage_%s")
        super().__init__(*args, **kwargs)
        self.has_password = has_password
        self.fields["user"].widget.attrs["autocomplete"] = "off"
        self.fields["password"].help_text = (
            "A password is saved. Leave this blank to keep it, or type a new one."
            if has_password
            else "Required: no password is saved for this number yet."
        )

    def clean_host(self) -> str:
        return self.cleaned_data["host"].strip().rstrip(".")

    def clean_password(self) -> str:
        value = self.cleaned_data["password"]
        if not value and not self.has_password:
            raise ValidationError("Enter the password: none is saved for this number yet.")
        return value

    def clean_output_dir(self) -> str:
        value = self.cleaned_data["output_dir"].strip()
        if any(ord(ch) < 32 for ch in value):
            raise ValidationError("The folder name has a control character in it.")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("port") is None and cleaned.get("protocol"):
            cleaned["port"] = 22 if cleaned["protocol"] == "sftp" else 21
        return cleaned

    @classmethod
    def initial_for(cls, number: FaxNumber) -> dict[str, Any]:
        """The form's starting values from the cached settings (never the password)."""
        storage = number.storage or {}
        return {
            "protocol": storage.get("protocol") or "sftp",
            "host": storage.get("host", ""),
            "port": storage.get("port"),
            "user": storage.get("user", ""),
            "output_dir": storage.get("outputDirPath", ""),
        }


class ManagerForm(PortalForm):
    managed_by = forms.UUIDField(
        label="Manager account id",
        error_messages={
            "invalid": "Enter the Drenfax account id, like 8d3165b3-d23c-4cb4-9bee-b33013c008f7.",
            "required": "Enter the Drenfax account id of the manager account.",
        },
    )


class PersonForm(PortalForm):
    """Pick a portal user (to assign or unassign)."""

    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        label="Person",
        empty_label="Choose a person…",
        error_messages={"invalid_choice": "Choose a person from the list."},
    )

    def __init__(self, *args: Any, users: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        self.fields["user"].label_from_instance = person_label


def person_label(user: Any) -> str:
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


class ReleaseForm(PortalForm):
    """Releasing a number is confirmed by typing it, in any usual format."""

    typed = forms.CharField(max_length=40, label="Type the number to confirm")

    def __init__(self, *args: Any, number: FaxNumber, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.number = number

    def clean_typed(self) -> str:
        typed = self.cleaned_data["typed"]
        wanted = format_national(self.number.number)
        try:
            e164 = parse_number(typed)
        except InvalidNumber as exc:
            raise ValidationError(
                f"That is not a phone number ({exc}). Type {wanted} to release it."
            ) from None
        if e164 != self.number.number:
            raise ValidationError(f"That is not this number. Type {wanted} to release it.")
        return e164


# --- the validate tool -----------------------------------------------------------------------
def _country_choices() -> list[tuple[str, str]]:
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    return [(r, f"{r} (+{phonenumbers.country_code_for_region(r)})") for r in regions if r != "001"]


class ValidateForm(PortalForm):
    number = forms.CharField(max_length=40, label="Fax number")
    country = forms.ChoiceField(choices=_country_choices, initial="US", label="Country")
