from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. America/Chicago).")


class Profile(models.Model):
    """Portal-side settings of a user: their Drenfax user id, time zone and inbox horizon."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    drenfax_user_id = models.UUIDField(
        "Drenfax user id",
        null=True,
        blank=True,
        unique=True,
        help_text="The user's id at Drenfax; needed to mirror number assignments to the API.",
    )
    timezone = models.CharField(max_length=64, blank=True, validators=[validate_timezone])
    # Inbound faxes created before this count as read ("mark all read" moves it forward).
    inbox_read_before = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        """The user's zone; the server's when none is set or the zone data no longer knows
        it (the middleware does the same)."""
        try:
            return zoneinfo.ZoneInfo(self.timezone or settings.TIME_ZONE)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)
