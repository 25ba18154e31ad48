from __future__ import annotations

from django.conf import settings
from django.db import models


class NotificationDefaults(models.Model):
    """The team's defaults (one row, pk 1), set by staff; users who never chose their own
    follow them."""

    inbound = models.BooleanField("new inbound faxes", default=True)
    failures = models.BooleanField("failed outbound faxes", default=True)
    digest = models.BooleanField("one daily digest instead of one email each", default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "notification defaults"

    def __str__(self) -> str:
        return "Team notification defaults"


class NotificationPreference(models.Model):
    """A user's own choices; without this row the user follows the team defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    inbound = models.BooleanField("new inbound faxes")
    failures = models.BooleanField("failed outbound faxes")
    digest = models.BooleanField("one daily digest instead of one email each")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Notification preferences of {self.user}"


class Notification(models.Model):
    """One email a user gets (or got, or was spared) about one event of one fax: at most one
    per fax, event and user (the unique constraint), claimed by a conditional update before
    it is sent, so two workers never send the same one."""

    class Event(models.TextChoices):
        INBOUND = "inbound", "Fax received"
        FAILED = "failed", "Outbound fax failed"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        DIGEST = "digest", "Waiting for the daily digest"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Not sent"
        FAILED = "failed", "Could not be sent"

    fax = models.ForeignKey("faxes.Fax", on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=8, choices=Event.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by the conditional update that claims the row for one sending run.
    claim = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    via_digest = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Why it was skipped or failed (the last error of a retried send).
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fax", "event", "user"], name="notification_once_per_fax_event_user"
            )
        ]
        indexes = [
            models.Index(fields=["state", "created_at"], name="notification_state_created"),
            models.Index(fields=["claim"], name="notification_claim"),
        ]

    def __str__(self) -> str:
        event = self.get_event_display()
        return f"{event} to user {self.user_id} (fax {self.fax_id}): {self.state}"
