from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from drenfax_portal.audit.models import ACTIONS, AuditEvent


class AuditFilterForm(forms.Form):
    """The audit page's filters, all optional; an invalid value is reported and ignored."""

    user = forms.CharField(required=False, max_length=150, label="User")
    action = forms.ChoiceField(
        required=False, choices=[("", "Any action"), *sorted(ACTIONS.items())]
    )
    outcome = forms.ChoiceField(
        required=False, choices=[("", "Any outcome"), *AuditEvent.Outcome.choices]
    )
    date_from = forms.DateField(required=False, label="From")
    date_to = forms.DateField(required=False, label="To")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    @property
    def filters(self) -> dict[str, Any]:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filter_events(filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    """Events matching the filters, newest first (dates in the viewer's time zone)."""
    events = AuditEvent.objects.all()
    if user := filters.get("user"):
        events = events.filter(username__iexact=user.strip())
    if action := filters.get("action"):
        events = events.filter(action=action)
    if outcome := filters.get("outcome"):
        events = events.filter(outcome=outcome)
    if start := filters.get("date_from"):
        events = events.filter(at__gte=_day_start(start))
    if end := filters.get("date_to"):
        events = events.filter(at__lt=_day_start(end + timedelta(days=1)))
    return events.order_by("-at", "-id")
