from __future__ import annotations

from django.conf import settings
from django.db import models

from fax_numbers.phone import format_national


class FaxNumber(models.Model):
    """One of the account's fax numbers, cached from the API's numbers list."""

    class State(models.TextChoices):
        AVAILABLE = "available", "Available"
        ASSIGNED = "assigned", "Assigned"
        PENDING = "pending", "Pending release"
        REMOVED = "removed", "No longer on the account"

    uuid = models.UUIDField(unique=True)
    number = models.CharField("number (E.164)", max_length=20, db_index=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.AVAILABLE)
    pending_until = models.DateTimeField(null=True, blank=True)
    owned_by = models.UUIDField(null=True, blank=True)
    managed_by = models.UUIDField(null=True, blank=True)
    manager_name = models.CharField(max_length=200, blank=True)
    # Storage settings without the password, which lives apart in StorageCredential.
    storage = models.JSONField(default=dict, blank=True)
    provider_created_at = models.DateTimeField(null=True, blank=True)
    # Drenfax user ids assigned on the provider's side (the `users` array).
    api_user_ids = models.JSONField(default=list, blank=True)
    assigned_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="fax_numbers", blank=True
    )
    raw = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number

    @property
    def national(self) -> str:
        return format_national(self.number)

    @property
    def is_active(self) -> bool:
        return self.state in (self.State.AVAILABLE, self.State.ASSIGNED)


class StorageCredential(models.Model):
    """The FTP/SFTP password of a number's storage settings, kept apart and never rendered."""

    number = models.OneToOneField(FaxNumber, on_delete=models.CASCADE, related_name="+")
    password = models.CharField(max_length=500)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"storage password of number {self.number_id}"


class Provisioning(models.Model):
    """One request to provision numbers, written down before the API call under the
    confirmation form's `key`, so a resubmitted form never provisions twice."""

    class Kind(models.TextChoices):
        ORDER = "order", "Selected numbers"
        LOCAL = "local", "Random local numbers"
        TOLL_FREE = "toll-free", "Random toll-free numbers"

    class State(models.TextChoices):
        SUBMITTING = "submitting", "Asking Drenfax"
        DONE = "done", "Provisioned"
        FAILED = "failed", "Refused; nothing was provisioned"
        UNKNOWN = "unknown", "Outcome unknown"

    key = models.UUIDField(unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # E.164 numbers asked for (kind "order"); empty for random numbers.
    numbers = models.JSONField(default=list, blank=True)
    quantity = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.SUBMITTING)
    error = models.CharField(max_length=1000, blank=True)
    # UUIDs of the numbers Drenfax provisioned, in its order.
    results = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"provisioning {self.key} ({self.state})"

    @property
    def count(self) -> int:
        """How many numbers were asked for."""
        return len(self.numbers) if self.kind == self.Kind.ORDER else (self.quantity or 1)
