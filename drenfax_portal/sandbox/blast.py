"""Fax blast: read recipients from the first sheet of an uploaded Excel (.xlsx) workbook.

The first non-empty row is a header when it names a fax-number column ("Fax", "Fax Number",
"Number", "Phone", "recipientFax", ...); an optional name column ("Name", "Recipient Name",
"Contact", "Company", ...) fills `recipientName`. Without a header, the first column holding a
phone number is the number and the first text column the name.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from .errors import InvalidInput
from .faxes import normalise_destination
from .request import Upload

# The reference states no cap; the portal allows 10,000 rows per list (BLAST_MAX_ROWS).
MAX_ROWS = 10_000

_NUMBER_HEADERS = {
    "fax",
    "faxnumber",
    "faxno",
    "fax#",
    "recipientfax",
    "number",
    "phone",
    "phonenumber",
    "destination",
    "tonumber",
}
_NAME_HEADERS = {
    "name",
    "recipientname",
    "recipient",
    "contact",
    "contactname",
    "company",
    "fullname",
    "to",
}


@dataclass
class BlastRow:
    row: int
    raw: str
    e164: str
    region: str
    name: str | None


def _key(value: object) -> str:
    return re.sub(r"[\s_\-.:]", "", str(value or "")).lower()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _looks_like_number(value: object) -> bool:
    text = _cell_text(value)
    return bool(text) and re.fullmatch(r"\+?[\d\s().-]{7,20}", text) is not None


def read_recipients(upload: Upload | None) -> tuple[list[BlastRow], list[dict]]:
    """(valid rows, one error per invalid row). Refuses files that are not .xlsx workbooks."""
    if upload is None:
        raise InvalidInput(
            "recipient is required: an Excel (.xlsx) file with one recipient per row"
        )
    data = upload.data
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvalidInput(f"'{upload.filename}' is an old .xls workbook; save it as .xlsx")
    if not data.startswith(b"PK\x03\x04"):
        raise InvalidInput(f"'{upload.filename}' is not an Excel workbook (.xlsx)")
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise InvalidInput(
            f"'{upload.filename}' could not be read as an Excel workbook ({exc})"
        ) from None
    try:
        if not workbook.worksheets:
            raise InvalidInput("the workbook has no sheets")
        rows = []
        for number, values in enumerate(
            workbook.worksheets[0].iter_rows(values_only=True), start=1
        ):
            if values and any(_cell_text(v) for v in values):
                rows.append((number, list(values)))
            if len(rows) > MAX_ROWS + 1:
                raise InvalidInput(f"at most {MAX_ROWS} recipients per blast")
    finally:
        workbook.close()
    if not rows:
        raise InvalidInput("the workbook's first sheet has no recipients")

    first_number, first = rows[0]
    headers = [_key(v) for v in first]
    number_col = next((i for i, h in enumerate(headers) if h in _NUMBER_HEADERS), None)
    if number_col is None:
        number_col = next(
            (i for i, h in enumerate(headers) if "fax" in h and "name" not in h), None
        )
    if number_col is not None:
        name_col = next(
            (
                i
                for i, h in enumerate(headers)
                if i != number_col and (h in _NAME_HEADERS or "name" in h)
            ),
            None,
        )
        body = rows[1:]
    elif any(_looks_like_number(v) for v in first):
        number_col = next(i for i, v in enumerate(first) if _looks_like_number(v))
        name_col = next(
            (
                i
                for i, v in enumerate(first)
                if i != number_col and isinstance(v, str) and not _looks_like_number(v)
            ),
            None,
        )
        body = rows
    else:
        raise InvalidInput(
            "could not find a fax number column: add a header such as 'Fax Number' "
            f"(row {first_number} has {', '.join(repr(_cell_text(v)) for v in first if v)})"
        )
    if len(body) > MAX_ROWS:
        raise InvalidInput(f"at most {MAX_ROWS} recipients per blast, not {len(body)}")
    valid: list[BlastRow] = []
    errors: list[dict] = []
    for number, values in body:
        raw = _cell_text(values[number_col]) if number_col < len(values) else ""
        name = (
            _cell_text(values[name_col]) if name_col is not None and name_col < len(values) else ""
        )
        if not raw:
            errors.append(
                {
                    "error": f"InvalidInputError: row {number}: no fax number",
                    "recipientFax": "",
                    "row": number,
                }
            )
            continue
        if len(name) > 40:
            errors.append(
                {
                    "error": f"InvalidInputError: row {number}: name must be at most 40 characters",
                    "recipientFax": raw,
                    "row": number,
                }
            )
            continue
        try:
            e164, region = normalise_destination(raw)
        except InvalidInput as exc:
            errors.append(
                {
                    "error": f"InvalidInputError: row {number}: {exc.message}",
                    "recipientFax": raw,
                    "row": number,
                }
            )
            continue
        valid.append(BlastRow(row=number, raw=raw, e164=e164, region=region, name=name or None))
    return valid, errors
