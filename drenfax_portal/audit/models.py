"""The audit trail: one append-only row per sensitive action."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

# Every action the portal records, with the label the audit page shows.
ACTIONS: dict[str, str] = {
    "auth.login": "Signed in",
    "auth.login_failed": "Sign-in failed",
    "auth.locked_out": "Sign-in locked out",
    "auth.unlocked": "Sign-in unlocked by staff",
    "auth.logout": "Signed out",
    "auth.timeout": "Signed out after inactivity",
    "auth.password_changed": "Password changed",
    "auth.2fa_verified": "Two-factor check passed",
    "auth.2fa_failed": "Two-factor check failed",
    "auth.2fa_enabled": "Two-factor sign-in turned on",
    "auth.2fa_disabled": "Two-factor sign-in turned off",
    "auth.recovery_codes_viewed": "Recovery codes viewed",
    "auth.recovery_codes_regenerated": "Recovery codes replaced",
    "fax.viewed": "Fax viewed",
    "fax.pdf_downloaded": "Fax document opened",
    "fax.exported": "Fax list exported (CSV)",
    "fax.sent": "Fax sent",
    "fax.resent": "Fax resent",
    "fax.cancelled": "Fax cancelled",
    "fax.archived": "Fax archived",
    "fax.unarchived": "Fax unarchived",
    "fax.deleted": "Fax deleted",
    "fax.assigned": "Fax assigned",
    "fax.done": "Fax marked done",
    "fax.reopened": "Fax put back to new",
    "fax.note_added": "Note added to a fax",
    "blast.sent": "Blast sent",
    "send.refused": "Queued send refused; nothing was sent",
    "contact.created": "Contact added",
    "contact.changed": "Contact changed",
    "contact.deleted": "Contact deleted",
    "contact.imported": "Contacts imported",
    "contact.exported": "Contacts exported (CSV)",
    "number.provisioned": "Number provisioned",
    "number.released": "Number released",
    "number.assigned": "Number assigned",
    "number.unassigned": "Number unassigned",
    "number.storage_changed": "Number storage settings changed",
    "number.manager_changed": "Number manager account changed",
    "user.profile_changed": "User settings changed",
    "user.created": "User created (admin)",
    "user.changed": "User changed (admin)",
    "user.deleted": "User deleted (admin)",
    "admin.added": "Object added (admin)",
    "admin.changed": "Object changed (admin)",
    "admin.deleted": "Object deleted (admin)",
    "audit.exported": "Audit trail exported (CSV)",
    "audit.purged": "Old audit events purged",
    "documents.purged": "Stored documents purged",
}


class AuditTrailIsAppendOnly(Exception):
    """Raised on any attempt to change or delete an audit event through the ORM."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AuditTrailIsAppendOnly("audit events cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditTrailIsAppendOnly("audit events cannot be deleted (retention purges them)")


class AuditEvent(models.Model):
    """Who did what to which object, when, from where, and whether it worked.

    Append-only; rows leave only by `audit_events_purge()`. The actor is an id and a
    username, not a foreign key, so events outlive the user.
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        FAILURE = "failure", "Failure"

    at = models.DateTimeField(default=timezone.now, editable=False)
    actor_id = models.BigIntegerField(null=True, blank=True, editable=False)
    username = models.CharField(max_length=150, blank=True, editable=False)
    ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    action = models.CharField(max_length=64, editable=False)
    object_type = models.CharField(max_length=64, blank=True, editable=False)
    object_id = models.CharField(max_length=64, blank=True, editable=False)
    outcome = models.CharField(
        max_length=8, choices=Outcome.choices, default=Outcome.SUCCESS, editable=False
    )
    details = models.JSONField(default=dict, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_at"),
            models.Index(fields=["action", "-at"], name="audit_action_at"),
            models.Index(fields=["username", "-at"], name="audit_username_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action} {self.outcome}"

    # The one exception to "no logic in save()": the guard that makes the trail append-only
    # in the portal's own code (the database refuses too, see migration 0001).
    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("audit events cannot be changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditTrailIsAppendOnly("audit events cannot be deleted (retention purges them)")

    @property
    def action_label(self) -> str:
        return ACTIONS.get(self.action, self.action)
