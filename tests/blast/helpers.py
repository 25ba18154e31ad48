"""Builders for the blast's tests: workbooks made by openpyxl and by hand, and bad files."""

from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_bytes(rows: list[list[Any]], *, title: str = "Recipients", **options: Any) -> bytes:
    """A workbook written by openpyxl: `rows` on the first sheet.

    Options: `before` (sheets before it: {title: rows}), `hidden_before` (those are hidden),
    `formats` ({cell: number format}).
    """
    workbook = Workbook()
    sheet = workbook.active
    for name, other_rows in (options.get("before") or {}).items():
        other = workbook.create_sheet(name, 0)
        for row in other_rows:
            other.append(row)
        if options.get("hidden_before"):
            other.sheet_state = "hidden"
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for coordinate, number_format in (options.get("formats") or {}).items():
        sheet[coordinate].number_format = number_format
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def read_back(data: bytes) -> list[tuple[Any, ...]]:
    """A workbook's first sheet as values (to check what the portal sent)."""
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


# --- workbooks built by hand, as other producers write them ----------------------------------

_OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OFFICE}.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    f'ContentType="{_OFFICE}.worksheet+xml"/>'
    "{shared}</Types>"
)
_SHARED_OVERRIDE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>{shared}</Relationships>'
)
_SHARED_REL = (
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/>'
)
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def sheet_xml(rows_xml: str, *, dimension: str | None = "A1:B3") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<worksheet xmlns="{SHEET_NS}">{dim}<sheetData>{rows_xml}</sheetData></worksheet>'
    )


def shared_strings_xml(strings: list[str], *, doctype: str = "") -> str:
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
        f'<sst xmlns="{SHEET_NS}" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    )


def handmade_xlsx(
    sheet: str,
    *,
    shared: str | None = None,
    title: str = "Sheet1",
    extra: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A minimal SpreadsheetML package, as another producer might write it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        archive.writestr(
            "[Content_Types].xml",
            _CONTENT_TYPES.format(shared=_SHARED_OVERRIDE if shared is not None else ""),
        )
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK.format(title=title))
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            _WORKBOOK_RELS.format(shared=_SHARED_REL if shared is not None else ""),
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared is not None:
            archive.writestr("xl/sharedStrings.xml", shared)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def zip_bomb_ratio() -> bytes:
    """A workbook whose sheet inflates a thousand-fold (2 MB from about 2 KB)."""
    filler = "<row/>" * 350_000
    return handmade_xlsx(sheet_xml(filler, dimension=None))


def zip_bomb_parts() -> bytes:
    """Many small parts, each under the ratio rule's grace size, adding up to 63 MB."""
    extra = {f"xl/media/pad{i}.bin": b"\0" * 90_000 for i in range(700)}
    return handmade_xlsx(sheet_xml('<row r="1"><c r="A1"><v>2065550123</v></c></row>'), extra=extra)


def entity_bomb() -> bytes:
    """A billion laughs in the shared strings: each level multiplies the text by ten."""
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    doctype = f"<!DOCTYPE sst [{''.join(levels)}]>"
    shared = shared_strings_xml(["Fax", "&lol9;"], doctype=doctype)
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>'
    )
    return handmade_xlsx(sheet_xml(rows), shared=shared)


def wide_row() -> bytes:
    """One row of 150,000 cells (Excel stops at 16,384), 3 MB of XML."""
    cells = "".join(f"<c><v>{(i * 7919) % 1000003}</v></c>" for i in range(150_000))
    return handmade_xlsx(sheet_xml(f'<row r="1">{cells}</row>', dimension=None))


def far_right_cells() -> bytes:
    """A header, then rows of one cell in Excel's last column (openpyxl pads each to 16,384)."""
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>Fax</t></is></c></row>'
    rows += "".join(f'<row r="{i}"><c r="XFD{i}"><v>1</v></c></row>' for i in range(2, 400))
    return handmade_xlsx(sheet_xml(rows, dimension=None))


def endless_blank_rows() -> bytes:
    """A number, then 200,000 empty rows (formatted, as Excel writes them), no dimension."""
    rows = '<row r="1"><c r="A1"><v>2065550123</v></c></row>'
    rows += "".join(f'<row r="{i}" ht="15" customHeight="1"/>' for i in range(2, 200_002))
    return handmade_xlsx(sheet_xml(rows, dimension=None))


def countless_strings() -> bytes:
    """350,000 different shared strings, 8 MB of XML."""
    strings = [f"s{(i * 104729) % 10000019:08d}" for i in range(350_000)]
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    return handmade_xlsx(sheet_xml(rows), shared=shared_strings_xml(strings))


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def corrupted(data: bytes) -> bytes:
    """The same ZIP with the sheet's compressed bytes overwritten (the directory intact)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    size = info.compress_size
    broken = bytearray(data)
    broken[start + 2 : start + size - 2] = bytes(
        (b ^ 0x5A) for b in data[start + 2 : start + size - 2]
    )
    return bytes(broken)


def upload(data: bytes, name: str = "recipients.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=XLSX)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def new_key() -> str:
    return str(uuid.uuid4())
