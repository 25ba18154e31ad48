"""Reading a contacts list (CSV or Excel) into rows to preview: each row either a contact to
add or update, or left out with the reason."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
from dataclasses import dataclass
from typing import IO, Any

from contacts.forms import clean_tags
from contacts.models import Contact
from contacts.services import ImportedContact
from drenfax_portal.exports import csv_cell_read
from fax_numbers.phone import InvalidNumber, parse_number
from faxes.spreadsheets import (
    RefusedList,
    Uncalculated,
    cell_text,
    is_excel_error,
    workbook_rows,
)

MAX_ROWS = 5_000
# A header cell's text (lower case, no punctuation) -> the field it fills.
HEADERS = {
    "name": "name",
    "contact": "name",
    "full name": "name",
    "contact name": "name",
    "organisation": "organisation",
    "organization": "organisation",
    "company": "organisation",
    "practice": "organisation",
    "office": "organisation",
    "fax": "fax_number",
    "fax number": "fax_number",
    "fax no": "fax_number",
    "number": "fax_number",
    "notes": "notes",
    "note": "notes",
    "comments": "notes",
    "tags": "tags",
    "tag": "tags",
    "groups": "tags",
}
LIMITS = {"name": 100, "organisation": 100, "notes": 1000, "tags": 200}


@dataclass
class PreviewRow:
    line: int  # the row number in the file, as the spreadsheet program shows it
    fields: dict[str, str]
    contact: ImportedContact | None = None
    problem: str = ""
    updates: Contact | None = None  # the contact already holding this number


def read_contacts(upload: IO[bytes], filename: str) -> list[PreviewRow]:
    """The rows of an uploaded contacts list; raises RefusedList when the file is unusable."""
    if filename.lower().endswith((".csv", ".txt")):
        rows = _csv_rows(upload)
    else:
        rows = workbook_rows(upload, limit=MAX_ROWS)
    header_at, columns = _header(rows)
    preview: list[PreviewRow] = []
    for line, values in rows[header_at + 1 :]:
        cells = {name: values[i] if i < len(values) else None for i, name in columns}
        fields = {name: cell_text(value, None) for name, value in cells.items()}
        if any(fields.values()):
            preview.append(_checked(PreviewRow(line, fields), cells))
    if not preview:
        raise RefusedList("The list has a header row but no contacts below it.")
    if len(preview) > MAX_ROWS:
        raise RefusedList(f"The list holds {len(preview):,} contacts; import at most {MAX_ROWS:,}.")
    _mark_repeats_and_updates(preview)
    return preview


def _csv_rows(upload: IO[bytes]) -> list[tuple[int, tuple[Any, ...]]]:
    data = upload.read()
    # UTF-16 with its byte-order mark: Excel's "Unicode Text"; else UTF-8, else Windows'.
    encodings = ("utf-16",) if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else ()
    for encoding in (*encodings, "utf-8-sig", "cp1252", "latin-1"):  # latin-1 reads any byte
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if "\x00" in text:
        raise RefusedList("This is not a CSV file (it holds binary data). Save the list as CSV.")
    reader = csv.reader(io.StringIO(text), csv.excel, delimiter=_delimiter(text))
    rows = []
    try:
        for line, values in enumerate(reader, start=1):
            if line > MAX_ROWS + 100:
                raise RefusedList(
                    f"The list holds more than {MAX_ROWS:,} rows; import at most that."
                )
            rows.append((line, tuple(csv_cell_read(value) for value in values)))
    except csv.Error as exc:
        raise RefusedList(f"Line {reader.line_num} could not be read as CSV ({exc}).") from exc
    return rows


def _delimiter(text: str) -> str:
    """The CSV's delimiter: the one with which its header row is found (a title line above
    the header defeats csv.Sniffer alone), else the sniffer's guess, else a comma. Only the
    delimiter is guessed: the sniffer reads the quote our export puts before a formula-like
    cell ("'+Plus Medical") as the quoting character, and merges rows."""
    candidates = [",", ";", "\t"]
    with contextlib.suppress(csv.Error):
        candidates.insert(0, csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter)
    head = text[:16_384]
    for delimiter in dict.fromkeys(candidates):
        try:
            rows = csv.reader(io.StringIO(head), csv.excel, delimiter=delimiter)
            _header([(line, tuple(values)) for line, values in zip(range(10), rows, strict=False)])
        except (csv.Error, RefusedList):
            continue
        return delimiter
    return candidates[0]


def _header(rows: list[tuple[int, tuple[Any, ...]]]) -> tuple[int, list[tuple[int, str]]]:
    """The index of the header row among the first ten, and its (column, field) pairs."""
    for at, (_line, values) in enumerate(rows[:10]):
        columns: dict[str, int] = {}
        for column, value in enumerate(values):
            key = " ".join(cell_text(value, None).lower().replace(".", " ").split())
            if (name := HEADERS.get(key)) and name not in columns:
                columns[name] = column
        if {"name", "fax_number"} <= columns.keys():
            return at, [(column, name) for name, column in columns.items()]
    raise RefusedList(
        "No header row was found. The first row should name the columns: “Name” and “Fax "
        "number”, and if you like “Organisation”, “Notes” and “Tags” (the export has them)."
    )


def _checked(row: PreviewRow, cells: dict[str, Any]) -> PreviewRow:
    for name, value in cells.items():
        label = name.replace("_", " ")
        if isinstance(value, Uncalculated):
            row.problem = (
                f"the {label} is a formula saved without its result: open the file in Excel "
                "or LibreOffice, save it, and upload it again"
            )
            return row
        if is_excel_error(value):
            row.problem = f"the {label} cell shows an error ({value.strip()})"
            return row
    # A column the list does not have is None: an updated contact keeps what it has there.
    fields: dict[str, Any] = {
        name: row.fields[name].strip() if name in row.fields else None
        for name in ImportedContact.__annotations__
    }
    if not fields["name"]:
        row.problem = "no name"
        return row
    try:
        fields["fax_number"] = parse_number(fields["fax_number"])
    except InvalidNumber as exc:
        row.problem = f"fax number “{fields['fax_number']}”: {exc}"
        return row
    if fields["tags"] is not None:
        fields["tags"] = clean_tags(fields["tags"])
    for name, limit in LIMITS.items():
        if len(fields[name] or "") > limit:
            row.problem = f"{name} longer than {limit} characters"
            return row
    row.contact = ImportedContact(**fields)
    return row


def _mark_repeats_and_updates(preview: list[PreviewRow]) -> None:
    first_line: dict[str, int] = {}
    for row in preview:
        if row.contact is None:
            continue
        number = row.contact.fax_number
        if number in first_line:
            row.problem = f"the same fax number as row {first_line[number]}"
            row.contact = None
        else:
            first_line[number] = row.line
    existing = Contact.objects.in_bulk(list(first_line), field_name="fax_number")
    for row in preview:
        if row.contact is not None:
            row.updates = existing.get(row.contact.fax_number)
