"""Fax blasts: the recipient list read from an Excel workbook, and the clean file sent.

`recipient_list_read` checks the container by its bytes (refusing other formats, encrypted
workbooks and zip bombs before any XML is parsed), opens it with openpyxl over defusedxml,
and streams the first visible sheet with a fax number column, each row either a recipient
in E.164 or left out with its reason. `clean_workbook` writes what is sent (the provider's
"Fax Number", "Recipient Name" header); `template_workbook` is the template users fill in.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import itertools
import logging
import re
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any
from xml.parsers import expat

import openpyxl
import phonenumbers
from defusedxml import DefusedXmlException
from django.conf import settings
from django.db import models
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from drenfax_portal.client.limits import NAME_MAX
from fax_numbers.phone import InvalidNumber, parse_number
from faxes.services.uploads import MB, contains_bytes, file_signature, is_utf8_text

log = logging.getLogger(__name__)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The container's limits. A 10,000-row list is about 200 KB, its sheet about 2 MB of XML.
MAX_UNCOMPRESSED = 50 * MB  # all parts together, as declared in the ZIP directory
MAX_PARTS = 1_000
# Apache POI's zip bomb rule: a part over 100 KB must not inflate more than 100-fold.
MAX_RATIO = 100
RATIO_GRACE = 100 * 1024

# Rows searched for the header (and, without one, for the number column by content).
HEADER_SCAN = 20
# Empty rows a sheet may hold besides BLAST_MAX_ROWS rows of content (formatted rows).
BLANK_ROWS_MAX = 50_000
# Excel's widest row; a workbook whose XML parts hold more than PRESCAN_ABOVE bytes in all
# is counted first (rows, cells, strings, styles).
MAX_CELLS_PER_ROW = 16_384
PRESCAN_ABOVE = 2 * MB
# Cells of one sheet as openpyxl hands them over, each row padded to its last cell.
MAX_CELLS = 5_000_000
# Different texts a workbook may hold (ten thousand rows of thirty text columns).
MAX_SHARED_STRINGS = 300_000
# Fonts, fills, borders, number formats and cell formats of a workbook's styles part, all
# built by openpyxl even for reading (Excel itself keeps to a few hundred fonts and fills).
MAX_STYLES = 20_000
_STYLE_ELEMENTS = frozenset({"font", "fill", "border", "numFmt", "xf", "dxf", "cellStyle"})
# How much of a cell is shown back to the user.
SHOWN_MAX = 60

_OLE2_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_OLE2_WORKBOOK = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# Header names (lower case, letters and digits only) of the fax number and name columns.
_FAX_HEADERS = frozenset(
    {
        "fax",
        "faxnumber",
        "faxno",
        "faxnr",
        "faxnum",
        "faxes",
        "telefax",
        "recipientfax",
        "recipientfaxnumber",
        "destinationfax",
    }
)
_NUMBER_HEADERS = frozenset(
    {"number", "phone", "phonenumber", "telephone", "tel", "destination", "tonumber"}
)
_NAME_HEADERS = frozenset(
    {
        "name",
        "recipientname",
        "recipient",
        "contact",
        "contactname",
        "company",
        "companyname",
        "fullname",
        "to",
        "attention",
        "attn",
        "organisation",
        "organization",
        "practice",
        "clinic",
    }
)

# The template's example row: left out (with its own reason) if a list still holds it.
EXAMPLE_NUMBER = "(206) 555-0100"
EXAMPLE_NAME = "Example Clinic (delete this row)"

# Characters around the digits of a typed number; removed before the cheap path.
_PUNCTUATION = str.maketrans("", "", " ()-./\u00a0\u2010\u2011\u2012\u2013\u2014\t")
# Control characters cannot go into a workbook (nor onto a cover page).
_CONTROL = str.maketrans({code: " " for code in [*range(32), 127]})
_EXCEL_ERRORS = frozenset(
    {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!", "#CALC!"}
)

# openpyxl's warnings about parts it ignores are noise for a read-only pass over values.
warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\.|$)")


class RefusedList(ValueError):
    """A recipient list that cannot be used at all; `str()` says why, in plain words."""


class LeftOutKind(models.TextChoices):
    """Why a row is not among the recipients (the preview groups rows by it)."""

    EMPTY = "empty", "No fax number"  # the row has content but no fax number
    NOT_A_NUMBER = "not_a_number", "Not a number"
    BAD_NUMBER = "bad_number", "Bad number"
    DUPLICATE = "duplicate", "Duplicate"
    FORMULA = "formula", "Formula without a value"  # a formula without a saved result
    NAME = "name", "Name too long"  # a recipient name over NAME_MAX characters
    EXAMPLE = "example", "Template example"


@dataclass(frozen=True, slots=True)
class Uncalculated:
    """A formula cell saved without its result (the file was never calculated)."""

    formula: str


@dataclass(frozen=True, slots=True)
class Recipient:
    row: int
    number: str  # E.164
    name: str


@dataclass(frozen=True, slots=True)
class LeftOut:
    row: int
    kind: str
    reason: str
    value: Any
    name: str = ""

    @property
    def typed(self) -> str:
        return cell_text(self.value)

    @property
    def label(self) -> str:
        return LeftOutKind(self.kind).label


@dataclass(frozen=True, slots=True)
class Column:
    index: int  # 1-based
    title: str  # the header's text; "" without a header row

    def __str__(self) -> str:
        letter = get_column_letter(self.index)
        return f"“{self.title}” (column {letter})" if self.title else f"column {letter}"


@dataclass
class RecipientList:
    """A workbook as read: who will receive the blast, and the rows left out and why."""

    sheet: str
    number_column: Column
    name_column: Column | None
    header_row: int | None
    recipients: list[Recipient] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)
    blank_rows: int = 0
    rows_above_header: int = 0

    @property
    def counts(self) -> dict[str, int]:
        """Rows left out per kind, in LeftOutKind order, only kinds that occur."""
        counts = Counter(row.kind for row in self.left_out)
        return {kind: counts[kind] for kind in LeftOutKind if counts[kind]}

    @property
    def count_labels(self) -> list[tuple[str, int]]:
        return [(LeftOutKind(kind).label, n) for kind, n in self.counts.items()]

    def numbers(self) -> list[str]:
        return [r.number for r in self.recipients]

    def digest(self) -> str:
        """A fingerprint of exactly who receives what, for the confirm step to compare."""
        sha = hashlib.sha256()
        for recipient in self.recipients:
            sha.update(f"{recipient.number}\t{recipient.name}\n".encode())
        return sha.hexdigest()[:32]


def max_file_size() -> int:
    return int(settings.BLAST_MAX_FILE_MB * MB)


# --- reading ---------------------------------------------------------------------------------


def recipient_list_read(handle: IO[bytes], *, limit: int | None = None) -> RecipientList:
    """Read a workbook's recipients; raises RefusedList when the file cannot be used."""
    limit = limit or settings.BLAST_MAX_ROWS
    normaliser = Normaliser(settings.DEFAULT_PHONE_REGION)
    if not openpyxl.DEFUSEDXML:  # fail closed (the faxes.E001 check says why)
        raise RefusedList("Recipient lists cannot be read safely on this server right now.")
    try:
        _check_container(handle, limit=limit)
        with _opened(handle, data_only=True) as values:
            try:
                return _read_workbook(values, None, limit=limit, normaliser=normaliser)
            except _EmptyCell:
                # The saved values show a formula without its result as an empty cell; the
                # formulas, read alongside, tell the two apart.
                with _opened(handle, data_only=False) as formulas:
                    return _read_workbook(values, formulas, limit=limit, normaliser=normaliser)
    except Exception as exc:
        raise _refusal(exc) from None


def workbook_rows(handle: IO[bytes], *, limit: int) -> list[SheetRow]:
    """The rows of an uploaded workbook's first visible sheet, after the checks a recipient
    list gets (other lists, such as contacts, read them); raises RefusedList."""
    if not openpyxl.DEFUSEDXML:
        raise RefusedList("Spreadsheets cannot be read safely on this server right now.")
    try:
        _check_container(handle, limit=limit)
        with _opened(handle, data_only=True) as workbook:
            visible = [i for i, s in enumerate(workbook.worksheets) if s.sheet_state == "visible"]
            if not visible:
                return []
            sheet = workbook.worksheets[visible[0]]
            try:
                return list(_sheet_rows(sheet, None, ceiling=limit + BLANK_ROWS_MAX))
            except _EmptyCell:
                # As for a recipient list: the formulas tell an empty cell from a formula
                # saved without its result (Uncalculated).
                with _opened(handle, data_only=False) as formulas:
                    return list(
                        _sheet_rows(
                            sheet,
                            formulas.worksheets[visible[0]],
                            ceiling=limit + BLANK_ROWS_MAX,
                        )
                    )
    except Exception as exc:
        raise _refusal(exc) from None


def is_excel_error(value: Any) -> bool:
    """Whether a cell shows one of Excel's errors (#N/A, #REF!...) rather than a value."""
    return isinstance(value, str) and value.strip() in _EXCEL_ERRORS


def _opened(handle: IO[bytes], *, data_only: bool) -> contextlib.closing[Any]:
    handle.seek(0)
    workbook = load_workbook(handle, read_only=True, data_only=data_only, keep_links=False)
    return contextlib.closing(workbook)


class _EmptyCell(Exception):
    """A row holds an empty cell, which may be a formula saved without its result."""


def _check_container(handle: IO[bytes], *, limit: int) -> None:
    handle.seek(0)
    head = handle.read(2048)
    handle.seek(0)
    if not head:
        raise RefusedList("The file is empty.")
    kind = file_signature(head)
    if kind == "zip":
        with zipfile.ZipFile(handle) as archive:
            parts = archive.infolist()
            _check_parts(parts)
            _prescan(archive, parts, limit=limit)
        return
    if kind == "ole2":
        if contains_bytes(handle, _OLE2_ENCRYPTED):
            raise RefusedList(
                "The workbook is password-protected (encrypted), so it cannot be read. In "
                "Excel, open it, clear the password under File > Info > Protect Workbook > "
                "Encrypt with Password, save it, and upload it again."
            )
        if any(contains_bytes(handle, name) for name in _OLE2_WORKBOOK):
            raise RefusedList(
                "This is an old Excel 97-2003 workbook (.xls). Open it in Excel and save it "
                "as an Excel Workbook (.xlsx), then upload that."
            )
        raise RefusedList("This is an older Office file, not an Excel workbook (.xlsx).")
    if kind == "pdf":
        raise RefusedList(
            "This is a PDF, not an Excel workbook, whatever its name says. Upload the list "
            "of recipients as an .xlsx file (the template shows how)."
        )
    if kind is not None:
        raise RefusedList(f"This is an image ({kind.upper()}), not an Excel workbook (.xlsx).")
    if head.startswith(_UTF16_BOMS) or is_utf8_text(handle):
        raise RefusedList(
            "This is a text or CSV file, not an Excel workbook, whatever its name says. Open "
            "it in Excel (or LibreOffice) and save it as an Excel Workbook (.xlsx), then "
            "upload that."
        )
    raise RefusedList("This is not an Excel workbook (.xlsx); its content is not one.")


def _check_parts(parts: list[zipfile.ZipInfo]) -> None:
    names = {part.filename for part in parts}
    if "xl/workbook.bin" in names:
        raise RefusedList(
            "This is an Excel binary workbook (.xlsb). Save it as an Excel Workbook (.xlsx)."
        )
    if "content.xml" in names and "mimetype" in names:
        raise RefusedList(
            "This is an OpenDocument spreadsheet (.ods). Save it as an Excel Workbook (.xlsx)."
        )
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise RefusedList("This is a ZIP archive but not an Excel workbook (.xlsx).")
    declared = sum(part.file_size for part in parts)
    inflating = [
        part
        for part in parts
        if part.file_size > RATIO_GRACE and part.file_size > MAX_RATIO * max(part.compress_size, 1)
    ]
    if len(parts) > MAX_PARTS or declared > MAX_UNCOMPRESSED or inflating:
        log.warning(
            "refused a recipient list: %d parts, %d bytes declared, %d parts over %d:1",
            len(parts),
            declared,
            len(inflating),
            MAX_RATIO,
        )
        raise RefusedList(
            "The file would expand to far more data than a list of recipients holds (it "
            "looks like a zip bomb), so it was not opened. Save the list again from Excel "
            "with only the recipients in it."
        )


def _prescan(archive: zipfile.ZipFile, parts: list[zipfile.ZipInfo], *, limit: int) -> None:
    """Count the rows, cells per row, shared strings and styles of large XML parts (and of
    the styles part, whatever its size) with expat, building nothing: within
    MAX_UNCOMPRESSED a hostile file could still hold a row of millions of cells, or millions
    of empty rows, strings or fonts, which openpyxl would build.
    """
    ceiling = limit + BLANK_ROWS_MAX

    def start(name: str, attributes: Any) -> None:
        nonlocal rows, cells, strings, styles
        local = name.rpartition(":")[2]
        if local == "c":
            cells += 1
            if cells > MAX_CELLS_PER_ROW:
                raise RefusedList(
                    f"A row of the sheet holds more than {MAX_CELLS_PER_ROW:,} cells, more "
                    "than Excel allows: the file was not saved by a spreadsheet program."
                )
        elif local == "row":
            rows += 1
            cells = 0
            if rows > ceiling:
                raise _too_many_rows(ceiling)
        elif local in _STYLE_ELEMENTS:
            styles += 1
            if styles > MAX_STYLES:
                raise RefusedList(
                    f"The workbook declares more than {MAX_STYLES:,} fonts and cell formats, "
                    "far more than a list of recipients needs. Copy the list into a new "
                    "workbook, save, and upload that."
                )
        elif local == "si":
            strings += 1
            if strings > MAX_SHARED_STRINGS:
                raise RefusedList(
                    f"The workbook holds more than {MAX_SHARED_STRINGS:,} different texts, far "
                    "more than a list of recipients needs. Copy the list into a new workbook, "
                    "save, and upload that."
                )

    def no_entities(*args: Any) -> None:
        raise DefusedXmlException("an entity declaration")

    # Rows are counted over the whole workbook: opening it, openpyxl reads every sheet
    # without a <dimension> to its end. So every part is counted once they are large
    # together; the styles part is counted whatever its size (openpyxl builds all of it).
    large = sum(part.file_size for part in parts) > PRESCAN_ABOVE
    rows = strings = styles = 0
    for part in [p for p in parts if large or p.filename.rpartition("/")[2] == "styles.xml"]:
        with archive.open(part) as source:
            chunk = source.read(256 * 1024)
            # Only XML, found by content: the package's relations may put a sheet in any
            # part, and an image or other binary part is not read by openpyxl here.
            head = chunk[:64].removeprefix(b"\xef\xbb\xbf").lstrip()
            if not (chunk.startswith(_UTF16_BOMS) or head.startswith(b"<")):
                continue
            cells = 0
            parser = expat.ParserCreate()
            parser.StartElementHandler = start
            parser.EntityDeclHandler = no_entities
            while chunk:
                parser.Parse(chunk, False)
                chunk = source.read(256 * 1024)
            parser.Parse(b"", True)


def _too_many_rows(ceiling: int) -> RefusedList:
    return RefusedList(
        f"The workbook holds more than {ceiling:,} rows, counting empty ones. Delete the "
        "empty rows below the list (or copy the list into a new workbook), save, and upload "
        "again."
    )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and those it came from (openpyxl wraps the XML parser's)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _refusal(exc: Exception) -> RefusedList:
    if isinstance(exc, RefusedList):
        return exc
    if any(isinstance(cause, DefusedXmlException) for cause in _causes(exc)):
        log.warning("refused a recipient list with unsafe XML: %r", exc)
        return RefusedList(
            "The file holds XML that declares entities, which spreadsheet programs never "
            "write and which can exhaust a server (an XML bomb); it was not read."
        )
    log.info("unreadable recipient list: %r", exc)
    return RefusedList(
        "The file is damaged or incomplete (was the upload or the download interrupted?). "
        "Open it in Excel, save it again as .xlsx, and upload that."
    )


def _read_workbook(
    values: Any, formulas: Any, *, limit: int, normaliser: Normaliser
) -> RecipientList:
    found_rows = False
    headers_seen: list[str] = []
    ceiling = limit + BLANK_ROWS_MAX
    passed = 0  # rows of sheets without the list: the ceiling counts the whole workbook
    for position, sheet in enumerate(values.worksheets):
        if sheet.sheet_state != "visible":
            continue
        formula_sheet = formulas.worksheets[position] if formulas is not None else None
        rows = _sheet_rows(sheet, formula_sheet, ceiling=ceiling, skipped=passed)
        first, blanks = _first_rows(rows)
        passed += len(first) + len(blanks)
        if not first:
            continue
        found_rows = True
        table = [(index, _cells(row)) for index, row in first]
        layout = _find_layout(table, normaliser)
        if layout is None:
            headers_seen += [cell_text(v) for v in table[0][1].values() if isinstance(v, str)]
            continue
        result = _read_rows(sheet.title, layout, first, rows, limit=limit, normaliser=normaliser)
        result.blank_rows += sum(1 for index in blanks if index > (result.header_row or 0))
        return result
    if not found_rows:
        raise RefusedList("The workbook is empty: its sheets have no rows.")
    seen = ", ".join(f"“{h}”" for h in headers_seen[:8])
    raise RefusedList(
        "No fax number column was found. Put the fax numbers in a column headed "
        "“Fax Number” (see the template)" + (f"; the first row holds {seen}." if seen else ".")
    )


SheetRow = tuple[int, tuple[Any, ...]]  # (row number, values from column A on)
Row = tuple[int, dict[int, Any]]  # (row number, {column: value} of the cells not blank)


def _sheet_rows(sheet: Any, formulas: Any, *, ceiling: int, skipped: int = 0) -> Iterator[SheetRow]:
    """A read-only sheet's rows (its `<dimension>` ignored), at most `ceiling` rows, less
    the `skipped` rows of the sheets before it, and MAX_CELLS cells. With `formulas` a
    formula saved without its result reads as Uncalculated; without it, a row holding an
    empty cell raises _EmptyCell (the caller then reads the sheet again with its formulas).
    """
    sheet.reset_dimensions()
    rows = sheet.iter_rows(values_only=True)
    if formulas is not None:
        formulas.reset_dimensions()
        rows = map(_with_formulas, rows, formulas.iter_rows(values_only=True))
    cells = 0
    for index, row in enumerate(rows, 1):
        cells += len(row)
        if index + skipped > ceiling:
            raise _too_many_rows(ceiling)
        if cells > MAX_CELLS:
            raise RefusedList(
                f"The sheet holds more than {MAX_CELLS:,} cells, counting empty ones, far "
                "more than a list of recipients needs. Copy the list into a new workbook, "
                "save, and upload that."
            )
        if formulas is None and None in row:
            raise _EmptyCell
        yield index, row


def _with_formulas(values: tuple[Any, ...], formulas: tuple[Any, ...]) -> tuple[Any, ...]:
    if values.count(None) == formulas.count(None):  # no formula is missing its result
        return values
    return tuple(
        Uncalculated(f if isinstance(f, str) else getattr(f, "text", "="))  # array formulas too
        if value is None and f is not None
        else value
        for value, f in zip(values, formulas, strict=True)
    )


def _is_blank(value: Any) -> bool:
    return value is None or (value.__class__ is str and not value.strip())


def _cells(row: tuple[Any, ...]) -> dict[int, Any]:
    return {column: value for column, value in enumerate(row, 1) if not _is_blank(value)}


def _first_rows(rows: Iterator[SheetRow]) -> tuple[list[SheetRow], list[int]]:
    """The first HEADER_SCAN rows that hold anything, and the empty rows' numbers."""
    first: list[SheetRow] = []
    blanks: list[int] = []
    for index, row in rows:
        if all(map(_is_blank, row)):
            blanks.append(index)
            continue
        first.append((index, row))
        if len(first) >= HEADER_SCAN:
            break
    return first, blanks


@dataclass(frozen=True)
class _Layout:
    number: Column
    name: Column | None
    header_at: int | None  # position in the first rows of the header row


def _header_key(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return "".join(ch for ch in value.lower() if ch.isalnum())


def _number_header_score(key: str) -> int:
    if key in _FAX_HEADERS:
        return 3
    if "fax" in key and "name" not in key:
        return 2
    if key in _NUMBER_HEADERS:
        return 1
    return 0


def _name_column(values: dict[int, Any], number: int) -> Column | None:
    for column, value in sorted(values.items()):
        key = _header_key(value)
        if column != number and (key in _NAME_HEADERS or "name" in key):
            return Column(column, str(value).strip())
    return None


def _find_layout(first: list[Row], normaliser: Normaliser) -> _Layout | None:
    # 1. A header row by its names: the best name, then one with a number below it (not a
    # title row such as "Fax list, March"), then the first.
    candidates = []
    for position, (_, values) in enumerate(first[:10]):
        below = first[position + 1][1] if position + 1 < len(first) else {}
        for column, value in values.items():
            score = _number_header_score(_header_key(value))
            if score:
                numbered = normaliser.number(below.get(column))[0] is not None
                candidates.append((score, numbered, -position, -column, position, column))
    if candidates:
        *_, position, column = max(candidates)
        values = first[position][1]
        title = str(values[column]).strip()
        return _Layout(Column(column, title), _name_column(values, column), position)
    # 2. No header names a number column: the column whose cells are fax numbers.
    valid: Counter[int] = Counter()
    filled: Counter[int] = Counter()
    for _, values in first[1:] or first:
        filled.update(values.keys())
        valid.update(c for c, value in values.items() if normaliser.number(value)[0] is not None)
    if not valid:
        return None
    number = max(valid, key=lambda c: (valid[c], -c))
    if valid[number] * 2 < filled[number]:
        return None
    # Text-only rows above the first number: the last is a header of unknown names.
    first_number = next(
        i for i, (_, values) in enumerate(first) if normaliser.number(values.get(number))[0]
    )
    above = first[:first_number]
    if not above or not all(_is_title(v) for _, values in above for v in values.values()):
        return _Layout(Column(number, ""), _text_column(first, number), None)
    header_at = first_number - 1
    top = first[header_at][1]
    name = _name_column(top, number) or _text_column(first[first_number:], number)
    if name is not None and not name.title:
        name = Column(name.index, cell_text(top.get(name.index)))
    return _Layout(Column(number, cell_text(top.get(number))), name, header_at)


def _is_title(value: Any) -> bool:
    """Text without digits (or nothing): what a header cell holds, never a fax number."""
    return value is None or (isinstance(value, str) and not any(ch.isdigit() for ch in value))


def _text_column(first: list[Row], number: int) -> Column | None:
    """Without a header, the first column holding text in most rows is the name."""
    columns = sorted({c for _, values in first for c in values if c != number})
    for column in columns:
        texts = sum(1 for _, values in first if values.get(column) and _is_title(values[column]))
        if texts * 2 >= len(first):
            return Column(column, "")
    return None


def _read_rows(
    sheet: str,
    layout: _Layout,
    first: list[SheetRow],
    rows: Iterator[SheetRow],
    *,
    limit: int,
    normaliser: Normaliser,
) -> RecipientList:
    number_at = layout.number.index - 1
    name_at = layout.name.index - 1 if layout.name else None
    start = 0 if layout.header_at is None else layout.header_at + 1
    result = RecipientList(
        sheet=sheet,
        number_column=layout.number,
        name_column=layout.name,
        header_row=first[layout.header_at][0] if layout.header_at is not None else None,
        rows_above_header=layout.header_at or 0,
    )
    recipients, left_out = result.recipients, result.left_out
    first_row_of: dict[str, int] = {}
    example = normaliser.number(EXAMPLE_NUMBER)[0]

    for index, row in itertools.chain(first[start:], rows):
        width = len(row)
        number = row[number_at] if number_at < width else None
        name = row[name_at] if name_at is not None and name_at < width else None
        if number.__class__ is str and not number.strip():
            number = None
        name_text = _name_text(name)
        if number is None and not name_text:
            others = row if name_at is None else row[:name_at] + row[name_at + 1 :]
            if all(map(_is_blank, others)):
                result.blank_rows += 1
                continue
        e164, kind, reason = normaliser.number(number)
        if e164 is None:
            left_out.append(LeftOut(index, kind, reason, number, name_text))
        elif len(name_text) > NAME_MAX:
            reason = f"the name has {len(name_text)} characters; Drenfax takes at most {NAME_MAX}"
            left_out.append(LeftOut(index, LeftOutKind.NAME, reason, number, name_text))
        elif (earlier := first_row_of.get(e164)) is not None:
            reason = f"the same number as row {earlier}; it is faxed once"
            left_out.append(LeftOut(index, LeftOutKind.DUPLICATE, reason, number, name_text))
        elif e164 == example and name_text == EXAMPLE_NAME:
            reason = "the template's example row; delete it or replace it with a recipient"
            left_out.append(LeftOut(index, LeftOutKind.EXAMPLE, reason, number, name_text))
        else:
            first_row_of[e164] = index
            recipients.append(Recipient(index, e164, name_text))
        if len(recipients) + len(left_out) > limit:
            raise RefusedList(
                f"The list has more than {limit:,} rows; a blast sends to at most {limit:,} "
                "recipients. Split it into several files and send them one after the other."
            )
    if not recipients and not left_out:
        raise RefusedList(
            f"The sheet “{sheet}” has a fax number column ({layout.number}) but no rows "
            "below its header."
        )
    return result


def _name_text(value: Any) -> str:
    if isinstance(value, Uncalculated):
        return ""
    return " ".join(cell_text(value, limit=None).translate(_CONTROL).split())


def cell_text(value: Any, limit: int | None = SHOWN_MAX) -> str:
    """A cell's value as the user would recognise it."""
    if value is None:
        text = ""
    elif isinstance(value, Uncalculated):
        text = value.formula
    elif isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
    else:
        text = str(value).strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


# --- numbers ---------------------------------------------------------------------------------


class Normaliser:
    """Fax numbers to E.164, each distinct cell value worked out once: `number(value)` is
    (E.164 or None, LeftOutKind when None, the reason in plain words).

    North American numbers take a cheap path; anything it does not accept goes through
    `parse_number`, so both give the same answer (tested).
    """

    def __init__(self, region: str) -> None:
        self.region = region
        self.nanp_region = phonenumbers.country_code_for_region(region) == 1
        self.number = functools.cache(self._work_out)

    def _work_out(self, value: Any) -> tuple[str | None, str, str]:
        if value is None:
            return None, LeftOutKind.EMPTY, "no fax number in this row"
        if isinstance(value, Uncalculated):
            return (
                None,
                LeftOutKind.FORMULA,
                f"the cell holds a formula ({cell_text(value)}) saved without its result; "
                "open the file in Excel, let it calculate, save it and upload it again",
            )
        if isinstance(value, bool):
            return None, LeftOutKind.NOT_A_NUMBER, "not a number (a TRUE/FALSE value)"
        if isinstance(value, datetime | date | time | timedelta):
            return None, LeftOutKind.NOT_A_NUMBER, "not a number (a date or a time)"
        if isinstance(value, int | float):
            return self._numeric(value, cell_text(value))
        text = str(value).strip()
        if text in _EXCEL_ERRORS:
            return None, LeftOutKind.NOT_A_NUMBER, f"not a number (the Excel error {text})"
        if "e" in text or "E" in text:
            return self._scientific(text) or self._text(text)
        return self._text(text)

    def _scientific(self, text: str) -> tuple[str | None, str, str] | None:
        """Scientific notation typed as text ("2.0655501E+09"), or None if it is not such a
        number: refused if it may have lost digits."""
        try:
            number = Decimal(text.replace(" ", ""))
        except InvalidOperation:
            return None
        if not number.is_finite() or number <= 0:
            return None
        if number.adjusted() >= 15:  # its integer would have more digits than E.164 allows
            return None, LeftOutKind.BAD_NUMBER, f"{text} has too many digits for a fax number"
        shown = sum(ch.isdigit() for ch in text.upper().split("E")[0].lstrip("+-0."))
        if shown < number.adjusted() + 1:
            # "2.0655501E+09" says 2065550100, but the cell may have held 2065550149.
            return (
                None,
                LeftOutKind.BAD_NUMBER,
                f"{text} is a number in scientific notation, which may have lost its last "
                "digits; format the column as Text and type the numbers again",
            )
        return self._numeric(number, text)

    def _numeric(self, value: float | Decimal, typed: str) -> tuple[str | None, str, str]:
        if value % 1:  # a fraction (or not finite)
            return (
                None,
                LeftOutKind.BAD_NUMBER,
                f"{typed} is not a whole number, so not a fax number",
            )
        if value <= 0:
            return None, LeftOutKind.BAD_NUMBER, "not a fax number"
        return self._digits(str(int(value)))

    def _digits(self, digits: str) -> tuple[str | None, str, str]:
        """A number stored as a number, which cannot hold a "+": read in the region only.
        Trying it as international would fax a local number with a digit typed twice
        abroad ((206) 555-0142 as 20655501423 is a number in Egypt)."""
        answer = self._text(digits)
        if answer[0] is None and len(digits) > 10:
            return (
                None,
                LeftOutKind.BAD_NUMBER,
                f"{digits} is not a valid fax number here; an international number needs "
                "its + and country code, in a cell formatted as Text",
            )
        return answer

    def _text(self, text: str) -> tuple[str | None, str, str]:
        if fast := self._nanp(text):
            return fast, "", ""
        if ";" in text:  # phonenumbers would read what follows as parameters and drop it
            return None, LeftOutKind.BAD_NUMBER, "not a valid fax number (one number a row)"
        try:
            return parse_number(text, self.region), "", ""
        except InvalidNumber as exc:
            reason = str(exc)
        if reason in ("empty", "not a number"):
            return None, LeftOutKind.NOT_A_NUMBER, "not a number"
        return None, LeftOutKind.BAD_NUMBER, f"not a valid fax number ({reason})"

    def _nanp(self, text: str) -> str | None:
        """E.164 for a valid North American number in a usual spelling, else None."""
        digits = text.translate(_PUNCTUATION)
        plus = digits.startswith("+")
        digits = digits.removeprefix("+")
        if not (digits.isascii() and digits.isdigit()):
            return None
        if len(digits) == 11 and digits[0] == "1" and (plus or self.nanp_region):
            national = digits[1:]
        elif len(digits) == 10 and not plus and self.nanp_region:
            national = digits
        else:
            return None
        if national[0] in "01":
            return None  # never valid; the full parse says why
        general, types = _us_patterns()
        if general.fullmatch(national) and types.fullmatch(national):
            return "+1" + national
        number = phonenumbers.PhoneNumber(country_code=1, national_number=int(national))
        return "+1" + national if phonenumbers.is_valid_number(number) else None


@functools.cache
def _us_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """phonenumbers' US patterns: its general one, and those of its ten-digit number types
    as one. A number matching both is what `is_valid_number_for_region(number, "US")`
    accepts (tested), with no call of phonenumbers, which is several times slower.
    """
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("US")
    types = [
        metadata.premium_rate,
        metadata.toll_free,
        metadata.shared_cost,
        metadata.voip,
        metadata.personal_number,
        metadata.pager,
        metadata.uan,
        metadata.voicemail,
        metadata.fixed_line,
        metadata.mobile,
    ]
    patterns = [
        desc.national_number_pattern
        for desc in types
        if desc is not None
        and desc.national_number_pattern
        and (not desc.possible_length or 10 in desc.possible_length)
    ]
    return (
        re.compile(metadata.general_desc.national_number_pattern),
        re.compile("|".join(f"(?:{p})" for p in patterns)),
    )


# --- writing ---------------------------------------------------------------------------------


def clean_workbook(recipients: Sequence[Recipient]) -> bytes:
    """The workbook the blast sends: one row per recipient, E.164 numbers and names as text."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Recipients")
    sheet.append(["Fax Number", "Recipient Name"])
    for recipient in recipients:
        sheet.append([recipient.number, _text_cell(sheet, recipient.name)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _text_cell(sheet: Any, text: str) -> Any:
    if not text:
        return None
    if not text.startswith("="):
        return text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # a name that starts with "=" is text, never a formula
    return cell


def template_workbook() -> bytes:
    """The downloadable template: the columns, an example row, and notes on the limits."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Recipients"
    sheet.append(["Fax Number", "Recipient Name"])
    sheet.append([EXAMPLE_NUMBER, EXAMPLE_NAME])
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 42
    # Typed numbers stay text ("+44 20 7946 0000", leading zeros) instead of becoming floats.
    sheet.column_dimensions["A"].number_format = "@"
    sheet["A2"].number_format = "@"
    sheet["A1"].comment = Comment(
        "Required. One fax number per row: (206) 555-0100, 206-555-0100, +1 206 555 0100, "
        f"or +44 20 7946 0000. Numbers without a country code are read as "
        f"{settings.DEFAULT_PHONE_REGION} numbers.",
        "Drenfax Portal",
    )
    sheet["B1"].comment = Comment(
        f"Optional. Printed as “To” on the cover page; at most {NAME_MAX} characters.",
        "Drenfax Portal",
    )
    notes = workbook.create_sheet("Notes")
    notes.column_dimensions["A"].width = 110
    wrap = Alignment(wrap_text=True, vertical="top")
    for line in _template_notes():
        notes.append([line])
        notes.cell(row=notes.max_row, column=1).alignment = wrap
    notes["A1"].font = Font(bold=True, size=13)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _template_notes() -> list[str]:
    return [
        "Fax blast recipient list",
        "Put one recipient per row on the first sheet, below the header row; keep the "
        "header. The example row is left out if you forget to delete it.",
        "Fax Number (required): a fax number as you would dial it, e.g. (206) 555-0100, "
        f"+1 206 555 0100 or +44 20 7946 0000. Without a country code a number is read as "
        f"a {settings.DEFAULT_PHONE_REGION} number. Numbers typed as numbers work too.",
        f"Recipient Name (optional): at most {NAME_MAX} characters; the cover page shows it "
        "as the recipient.",
        f"At most {settings.BLAST_MAX_ROWS:,} recipients per file; the file at most "
        f"{settings.BLAST_MAX_FILE_MB:g} MB. Save as an Excel Workbook (.xlsx), without a "
        "password.",
        "Before anything is sent the portal shows every row it will fax and every row it "
        "leaves out, with the reason: a bad or missing number, a number listed twice, a "
        "formula without a saved result, or a name that is too long.",
        "Drenfax's blast sends a cover page to each recipient (the account's default or one "
        "you choose); it cannot attach documents. To fax documents to up to 100 numbers, use "
        "the Send page.",
    ]
