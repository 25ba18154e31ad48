from __future__ import annotations

from django import template

from fax_numbers.phone import format_national

register = template.Library()


@register.filter
def phone(value: str | None) -> str:
    """+12065550100 -> (206) 555-0100; anything unparseable is shown as it came."""
    return format_national(value or "")


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


@register.filter
def file_type_label(value: str) -> str:
    """pdf -> "PDF", docx -> "Word document (DOCX)"."""
    from faxes.services.uploads import FILE_TYPES

    kind = FILE_TYPES.get(value or "")
    return kind.label if kind else (value or "").upper()


@register.filter
def char_count(value: str | None) -> int:
    """Characters as the API counts them: a line break (CRLF from a browser) is one."""
    return len((value or "").replace("\r\n", "\n"))


@register.filter
def thousands(value: int | None) -> str:
    """10000 -> "10,000"."""
    return f"{value:,}" if isinstance(value, int) else ""
