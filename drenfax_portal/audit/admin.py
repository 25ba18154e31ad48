"""Changes made in the Django admin to people and their sign-in are audited: an audit row
wherever the admin writes its own LogEntry, so every path (change form, password form,
bulk delete) is covered. Audit events themselves are shown, read-only, on a staff page.
"""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from drenfax_portal.audit.services import audit_record


def _changed_fields(message: Any) -> list[str]:
    """The field names in an admin change message (never the values)."""
    fields: list[str] = []
    if isinstance(message, list):
        for part in message:
            for verb in ("changed", "added", "deleted"):
                fields.extend(str(f) for f in part.get(verb, {}).get("fields", []))
    elif message:
        fields.append(str(message)[:100])
    return fields


class AuditedAdminMixin:
    """Audit rows for additions, changes and deletions made through this ModelAdmin:
    "user.created/changed/deleted" for people, "admin.added/changed/deleted" otherwise."""

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        is_user = self.model is get_user_model()
        audit_record("user.created" if is_user else "admin.added", target=obj)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        action = "user.changed" if self.model is get_user_model() else "admin.changed"
        audit_record(action, target=obj, details={"fields": _changed_fields(message)})
        return entry

    def log_deletions(self, request, queryset):
        entries = super().log_deletions(request, queryset)
        is_user = self.model is get_user_model()
        for obj in queryset:
            details = {"name": str(obj)[:100]} if is_user else {}
            audit_record(
                "user.deleted" if is_user else "admin.deleted", target=obj, details=details
            )
        return entries


# People, their groups, their second factors, and sign-in lockouts (deleting an attempt
# unlocks it).
for _model in (get_user_model(), Group, TOTPDevice, StaticDevice, AccessAttempt):
    if admin.site.is_registered(_model):
        _original = type(admin.site.get_model_admin(_model))
        admin.site.unregister(_model)
        admin.site.register(
            _model, type(f"Audited{_original.__name__}", (AuditedAdminMixin, _original), {})
        )
