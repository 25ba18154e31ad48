from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from drenfax_portal.audit.models import ACTIONS, AuditEvent
from drenfax_portal.forms import FilterForm, PortalDateField, PortalForm, day_range


class AuditFilterForm(FilterForm, PortalForm):
    """The audit page's filters, all optional; an invalid value is reported and ignored."""

    user = forms.CharField(required=False, max_length=150, label="User")
    action = forms.ChoiceField(
        required=False, choices=[("", "Any action"), *sorted(ACTIONS.items())]
    )
    outcome = forms.ChoiceField(
        required=False, choices=[("", "Any outcome"), *AuditEvent.Outcome.choices]
    )
    date_from = PortalDateField(required=False, label="From")
    date_to = PortalDateField(required=False, label="To")


def filter_events(filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    """Events matching the filters, newest first (dates in the viewer's time zone)."""
    events = AuditEvent.objects.all()
    if user := filters.get("user"):
        # In any case: a sign-in attempt is stored as typed ("Alice"). No index serves this
        # (the username index is case-sensitive); the dates narrow a long trail.
        events = events.filter(username__iexact=user.strip())
    if action := filters.get("action"):
        events = events.filter(action=action)
    if outcome := filters.get("outcome"):
        events = events.filter(outcome=outcome)
    start, end = day_range(filters.get("date_from"), filters.get("date_to"))
    if start:
        events = events.filter(at__gte=start)
    if end:
        events = events.filter(at__lt=end)
    return events.order_by("-at", "-id")
