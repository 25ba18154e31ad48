from __future__ import annotations

from django import template

from fax_numbers.phone import format_national

register = template.Library()


@register.filter
def phone(value: str | None) -> str:
    """+12065550100 -> (206) 555-0100; anything unparseable is shown as it came."""
    return format_national(value or "") if value else ""


@register.filter
def duration_ms(value: int | None) -> str:
    """86318 -> "1 min 26 s"."""
    if value is None:
        return ""
    seconds = round(value / 1000)
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60} s"


@register.filter
def bps(value: int | None) -> str:
    return f"{value:,} bps" if value else ""
