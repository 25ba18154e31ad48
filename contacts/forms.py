from __future__ import annotations

from typing import Any

from django import forms

from contacts.models import Contact
from fax_numbers.phone import InvalidNumber, format_national, parse_number
from faxes.forms import NormalisedTextField

TAGS_MAX = Contact._meta.get_field("tags").max_length
NOTES_MAX = Contact._meta.get_field("notes").max_length


def clean_fax_number(value: str, *, instance: Contact | None = None) -> str:
    """The number in E.164, or ValidationError saying why, or who already has it."""
    try:
        number = parse_number(value)
    except InvalidNumber as exc:
        raise forms.ValidationError(f"Not a fax number we can dial: {exc}.") from exc
    taken = Contact.objects.filter(fax_number=number)
    if instance is not None and instance.pk:
        taken = taken.exclude(pk=instance.pk)
    if other := taken.first():
        raise forms.ValidationError(f"{format_national(number)} is already {other}'s number.")
    return number


def clean_tags(value: str) -> str:
    """ "Cardiology,  referrals,cardiology" -> "cardiology, referrals" (lower case, once each)."""
    tags = dict.fromkeys(t.strip().lower() for t in value.split(",") if t.strip())
    return ", ".join(tags)


class ContactForm(forms.ModelForm):
    # As typed ("+1 (206) 555-0142" is longer than the E.164 the model keeps).
    fax_number = forms.CharField(
        label="Fax number",
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text="Any usual form: (206) 555-0100, +44 20 7946 0000.",
    )
    # Line breaks count as one character, as the browser's maxlength counts them.
    notes = NormalisedTextField(
        label="Notes",
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = Contact
        fields = ["name", "organisation", "fax_number", "notes", "tags"]
        help_texts = {
            "tags": "Words separated by commas, for finding contacts: cardiology, referrals.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["fax_number"] = format_national(self.instance.fax_number)

    def clean_fax_number(self) -> str:
        return clean_fax_number(self.cleaned_data["fax_number"], instance=self.instance)

    def clean_tags(self) -> str:
        tags = clean_tags(self.cleaned_data["tags"])
        if len(tags) > TAGS_MAX:
            raise forms.ValidationError(
                f"Too many tags: written as “a, b, c” they take {len(tags)} characters, and "
                f"{TAGS_MAX} is the most."
            )
        return tags


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Contacts list",
        help_text="An Excel workbook (.xlsx) or a CSV file, with a header row.",
    )
