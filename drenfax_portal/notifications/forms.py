from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

DELIVERY_CHOICES = [
    ("each", "One email per fax, as it happens"),
    ("digest", "One daily digest"),
]


class PreferencesForm(forms.Form):
    """Which emails to get, and how; used for a user's own choices and the team defaults."""

    inbound = forms.BooleanField(required=False, label="A fax arrives on one of my numbers")
    failures = forms.BooleanField(required=False, label="A fax I sent fails")
    delivery = forms.ChoiceField(choices=DELIVERY_CHOICES, widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["delivery"].help_text = (
            f"The digest goes out at {settings.NOTIFY_DIGEST_HOUR:02d}:00 in your time zone and "
            "lists everything since the previous one."
        )

    @property
    def choices(self) -> dict[str, bool]:
        data = self.cleaned_data
        return {
            "inbound": data["inbound"],
            "failures": data["failures"],
            "digest": data["delivery"] == "digest",
        }
