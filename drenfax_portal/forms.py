"""Form pieces shared by the portal's pages."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone

# The dates a user may type: every one of them converts to an instant in any time zone, and
# a day after the last is still a date (Python's dates end at 9999-12-31).
EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date(2999, 12, 31)
DATE_RANGE_MESSAGE = (
    f"Enter a date between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}."
)


class PortalForm(forms.Form):
    """A form whose labels have no trailing colon (the portal's style)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class PortalDateField(forms.DateField):
    """A date between EARLIEST_DATE and LATEST_DATE; others are refused with that range."""

    def validate(self, value: date | None) -> None:
        super().validate(value)
        if value and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise forms.ValidationError(DATE_RANGE_MESSAGE, code="out_of_range")


class FilterForm(forms.Form):
    """A page's optional filters, `date_from` and `date_to` included; an invalid value is
    reported and ignored."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def refused_text(self) -> str:
        """The refused filters, one line each ("To: Enter a date between ..."), or ""."""
        if not self.is_bound or self.is_valid():
            return ""
        lines = []
        for name, messages in self.errors.items():
            field = self.fields.get(name)
            label = f"{field.label or name}: " if field else ""
            lines.append(label + " ".join(messages))
        return "\n".join(lines)

    @property
    def filters(self) -> dict[str, Any]:
        """The valid filters (fields with errors are left out)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}


def day_range(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """The instants from the start of `start` to the end of `end`, in the current time zone."""

    def midnight(day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, time.min))

    return (
        midnight(start) if start else None,
        midnight(end + timedelta(days=1)) if end else None,
    )
