"""Forms for portal users' profiles (staff edit them on the team page)."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from drenfax_portal.accounts.models import Profile
from drenfax_portal.forms import PortalForm


@cache
def timezone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return [("", f"Server default ({settings.TIME_ZONE})"), *[(z, z) for z in zones]]


class ProfileForm(PortalForm):
    drenfax_user_id = forms.UUIDField(
        required=False,
        label="Drenfax user id",
        help_text=(
            "The person's user id at Drenfax. With it, assigning a number here assigns it "
            "at Drenfax too. Leave blank if they have no Drenfax user."
        ),
        error_messages={"invalid": "Enter a Drenfax user id, like fdb9f0dd-ac0c-4f3e-…"},
    )
    timezone = forms.ChoiceField(
        required=False,
        choices=timezone_choices,
        label="Time zone",
        error_messages={"invalid_choice": "Choose a time zone from the list."},
        help_text="Times on the portal's pages are shown in this zone.",
    )

    def __init__(self, *args: Any, profile: Profile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.profile = profile

    def clean_drenfax_user_id(self):
        value = self.cleaned_data["drenfax_user_id"]
        if value is None:
            return None
        other = (
            Profile.objects.filter(drenfax_user_id=value)
            .exclude(pk=self.profile.pk)
            .select_related("user")
            .first()
        )
        if other is not None:
            raise ValidationError(
                f"This Drenfax user id already belongs to {other.user.get_username()}."
            )
        return value
