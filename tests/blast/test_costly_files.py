"""Workbooks that would cost a worker seconds or hundreds of MB: refused quickly."""

from __future__ import annotations

import contextlib
import io
import time
import tracemalloc
import zipfile

import pytest

from faxes.spreadsheets import RefusedList, recipient_list_read
from tests.blast import helpers
from tests.blast.helpers import SHEET_NS, handmade_xlsx, sheet_xml

_OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_RELS_TYPE = "application/vnd.openxmlformats-package.relationships+xml"


def _rels(body: str) -> str:
    return (
        f'<?xml version="1.0"?><Relationships xmlns="{_PKG}/relationships">{body}</Relationships>'
    )


def sheets_of_blank_rows(sheets: int, rows: int) -> bytes:
    """`sheets` sheets of `rows` formatted empty rows each (each under the per-sheet ceiling)."""
    body = "".join(f'<row r="{i}" spans="1:2" ht="15" customHeight="1"/>' for i in range(1, rows))
    sheet = f'<worksheet xmlns="{SHEET_NS}"><sheetData>{body}</sheetData></worksheet>'
    numbers = range(1, sheets + 1)
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_OFFICE}.worksheet+xml"/>'
        for i in numbers
    )
    names = "".join(f'<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>' for i in numbers)
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in numbers
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="{_PKG}/content-types">'
            f'<Default Extension="rels" ContentType="{_RELS_TYPE}"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_OFFICE}.sheet.main+xml"/>'
            f"{overrides}</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            _rels(
                f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            ),
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{SHEET_NS}" xmlns:r="{_REL}"><sheets>{names}</sheets></workbook>',
        )
        archive.writestr("xl/_rels/workbook.xml.rels", _rels(rels))
        for i in numbers:
            archive.writestr(f"xl/worksheets/sheet{i}.xml", sheet)
    return out.getvalue()


def test_many_sheets_of_blank_rows_are_refused_quickly():
    data = sheets_of_blank_rows(8, 59_000)  # 1.2 MB, an eighth of the upload cap
    assert len(data) < 1_300_000
    started = time.perf_counter()
    with pytest.raises(RefusedList):
        recipient_list_read(io.BytesIO(data))
    # The bar test_bad_files.py sets for every hostile file. 53 such sheets (7.4 MB, 49 MB
    # declared, under every container limit) take about 40 s: past gunicorn's 30 s timeout.
    assert time.perf_counter() - started < 5


_STYLES_REL = (
    '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/>'
)


def countless_fonts(monkeypatch, fonts: int) -> bytes:
    """A two-row list whose styles part declares `fonts` different fonts (about 16:1)."""
    body = "".join(
        f'<font><sz val="{i % 400 + 1}"/><name val="F{i}"/></font>' for i in range(fonts)
    )
    styles = (
        f'<?xml version="1.0"?><styleSheet xmlns="{SHEET_NS}"><fonts count="{fonts}">{body}'
        "</fonts></styleSheet>"
    )
    monkeypatch.setattr(
        helpers,
        "_WORKBOOK_RELS",
        helpers._WORKBOOK_RELS.replace("{shared}", "{shared}" + _STYLES_REL),
    )
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>Fax</t></is></c></row>'
    rows += '<row r="2"><c r="A2"><v>2065550123</v></c></row>'
    return handmade_xlsx(sheet_xml(rows), extra={"xl/styles.xml": styles.encode()})


def test_a_styles_part_of_countless_fonts_is_refused_quickly_in_little_memory(monkeypatch):
    data = countless_fonts(monkeypatch, 50_000)
    assert len(data) < 200_000  # 2.4 MB declared: within every container limit
    started = time.perf_counter()
    tracemalloc.start()
    try:
        with contextlib.suppress(RefusedList):
            recipient_list_read(io.BytesIO(data))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The bars test_bad_files.py sets for every hostile file. 500,000 fonts (a 1.5 MB upload)
    # take 21 s and 800 MB of RSS; a list with an empty cell is loaded twice.
    assert peak < 30 * 1024 * 1024, f"{peak / 1e6:.0f} MB"
    assert time.perf_counter() - started < 5
