"""Cells of the portal's CSV exports."""

# What a spreadsheet program reads as the start of a formula.
FORMULA_LEADERS = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def csv_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula; a phone number in
    E.164 ("+12065550100") stays as it is."""
    text = "" if value is None else str(value)
    e164 = text[:1] == "+" and text[1:].isascii() and text[1:].isdigit()
    # A quote before a formula sign is doubled, so that reading it back takes one away.
    quoted = text[:1] == "'" and text[1:2] in FORMULA_LEADERS
    if (text[:1] in FORMULA_LEADERS and not e164) or quoted:
        text = "'" + text
    return text


def csv_cell_read(text: str) -> str:
    """A cell of one of our exports read back: without the quote `csv_cell` put before it."""
    quoted = text[:1] == "'" and (text[1:2] in FORMULA_LEADERS or csv_cell(text[1:]) == text)
    return text[1:] if quoted else text
