"""Cells of the portal's CSV exports."""


def csv_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula; a phone number in
    E.164 ("+12065550100") stays as it is."""
    text = "" if value is None else str(value)
    e164 = text[:1] == "+" and text[1:].isascii() and text[1:].isdigit()
    if text[:1] in ("=", "+", "-", "@", "\t", "\r", "|", "%") and not e164:
        text = "'" + text
    return text
