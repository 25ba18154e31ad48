"""Every bad file is refused with a message, quickly, and nothing is kept or sent."""

from __future__ import annotations

import io
import time
import tracemalloc

import pytest

from faxes.models import StagedFile, Submission
from faxes.spreadsheets import recipient_list_read
from tests.blast.helpers import (
    corrupted,
    countless_strings,
    endless_blank_rows,
    entity_bomb,
    far_right_cells,
    fixture,
    handmade_xlsx,
    sheet_xml,
    truncated,
    upload,
    wide_row,
    xlsx_bytes,
    zip_bomb_parts,
    zip_bomb_ratio,
)
from tests.send.helpers import PNG, docx_bytes, pdf_bytes, text, zip_bytes

pytestmark = pytest.mark.django_db

GOOD = xlsx_bytes([["Fax", "Name"]] + [[f"206555{i:04d}", f"Clinic {i}"] for i in range(100, 160)])


def sheet_entity_bomb(padding: int = 0) -> bytes:
    """The billion laughs in the sheet itself (parsed while the rows are read); `padding`
    rows make the sheet large enough to be counted before openpyxl reads it."""
    levels = "".join(f'<!ENTITY e{i} "{("&e" + str(i - 1) + ";") * 10}">' for i in range(1, 9))
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>&e8;</t></is></c></row>'
    rows += "".join(f'<row r="{i}"><c r="A{i}"><v>{i * 7919}</v></c></row>' for i in range(padding))
    body = sheet_xml(rows)
    body = body.replace(
        "<worksheet", f'<!DOCTYPE worksheet [<!ENTITY e0 "ha">{levels}]><worksheet', 1
    )
    return handmade_xlsx(body)


def external_entity() -> bytes:
    body = sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>')
    doctype = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    return handmade_xlsx(body.replace("<worksheet", doctype + "<worksheet", 1))


BAD_FILES = [
    ("a CSV renamed .xlsx", b"Fax,Name\n2065550123,Dr. Lee\n", "text or CSV file"),
    ("a UTF-16 CSV", "Fax\tName\n2065550123\tLee\n".encode("utf-16"), "text or CSV file"),
    ("a PDF renamed .xlsx", pdf_bytes(1), "This is a PDF"),
    ("an image", PNG, "image (PNG)"),
    ("an empty file", b"", "The file is empty"),
    ("binary junk", b"\x00\x01\x02\x03" * 100, "not an Excel workbook"),
    ("a truncated workbook", truncated(GOOD), "damaged or incomplete"),
    ("a corrupt workbook", corrupted(GOOD), "damaged or incomplete"),
    ("a ZIP that is no workbook", zip_bytes(), "ZIP archive but not an Excel workbook"),
    ("a Word document", docx_bytes(), "ZIP archive but not an Excel workbook"),
    ("a password-protected workbook", fixture("password-protected.xlsx"), "password-protected"),
    ("an Excel 97-2003 workbook", fixture("libreoffice-excel97.xls"), "old Excel 97-2003"),
    ("an empty sheet", xlsx_bytes([]), "The workbook is empty"),
    ("a sheet of blanks", xlsx_bytes([[None, "  "], ["", None]]), "The workbook is empty"),
    ("a header without rows", xlsx_bytes([["Fax Number"]]), "no rows below its header"),
    (
        "no number column",
        xlsx_bytes([["Name", "City"], ["Dr. Lee", "Boston"]]),
        "No fax number column was found",
    ),
    ("a zip bomb (ratio)", zip_bomb_ratio(), "zip bomb"),
    ("a zip bomb (many parts)", zip_bomb_parts(), "zip bomb"),
    ("an XML entity bomb in the strings", entity_bomb(), "XML bomb"),
    ("an XML entity bomb in the sheet", sheet_entity_bomb(), "XML bomb"),
    ("an XML entity bomb in a large sheet", sheet_entity_bomb(padding=60_000), "XML bomb"),
    ("an external XML entity", external_entity(), "XML bomb"),
    ("broken XML", handmade_xlsx("<worksheet><sheetData><row>"), "damaged or incomplete"),
    ("a row of 150,000 cells", wide_row(), "more than 16,384 cells"),
    ("rows padded to 16,384 cells", far_right_cells(), "more than 5,000,000 cells"),
    ("200,000 empty rows", endless_blank_rows(), "more than 60,000 rows, counting empty ones"),
    ("350,000 different strings", countless_strings(), "more than 300,000 different texts"),
]


@pytest.mark.parametrize("what,data,message", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_is_refused_quickly_in_little_memory_with_a_message(what, data, message):
    from faxes.spreadsheets import RefusedList

    started = time.perf_counter()
    tracemalloc.start()
    try:
        with pytest.raises(RefusedList) as refused:
            recipient_list_read(io.BytesIO(data))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert message in str(refused.value)
    assert time.perf_counter() - started < 5  # under tracemalloc, which slows it down
    assert peak < 30 * 1024 * 1024


@pytest.mark.parametrize("what,data,message", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_the_upload_page_refuses_a_bad_file_and_keeps_nothing(
    alice_client, api, what, data, message
):
    response = alice_client.post("/faxes/blast/", {"workbook": upload(data, "list.xlsx")})
    assert response.status_code == 200
    page = text(response)
    assert "list.xlsx was not read." in page and message in page and "Nothing was sent." in page
    assert not StagedFile.objects.exists() and not Submission.objects.exists()
    assert len(api.calls) == 0


def test_a_file_over_the_size_cap_is_not_even_stored(alice_client, api, settings):
    settings.BLAST_MAX_FILE_MB = 0.01  # 10 KB
    response = alice_client.post(
        "/faxes/blast/", {"workbook": upload(b"PK\x03\x04" + b"0" * 20_000)}
    )
    page = text(response)
    assert "recipients.xlsx was not read: it is larger than 10.2 KB, the limit per file." in page
    assert not StagedFile.objects.exists() and len(api.calls) == 0


def test_a_post_without_a_file_asks_for_one(alice_client):
    response = alice_client.post("/faxes/blast/", {})
    assert "Choose the Excel file (.xlsx) with the recipients." in text(response)


def test_a_body_django_refuses_to_parse_gets_a_page_not_a_bare_400(alice_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 1
    response = alice_client.post(
        "/faxes/blast/", {"workbook": [upload(GOOD, "a.xlsx"), upload(GOOD, "b.xlsx")]}
    )
    assert response.status_code == 400
    assert "Too many files were chosen at once; nothing was sent." in text(response)
    assert "Fax blast" in text(response)


def test_lists_are_parsed_through_defusedxml():
    import openpyxl

    from faxes.checks import check_safe_xml

    assert openpyxl.DEFUSEDXML is True and check_safe_xml() == []


def test_without_defusedxml_every_list_is_refused(monkeypatch):
    import openpyxl

    from faxes.checks import check_safe_xml
    from faxes.spreadsheets import RefusedList

    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    assert [e.id for e in check_safe_xml()] == ["faxes.E001"]
    with pytest.raises(RefusedList, match="cannot be read safely"):
        recipient_list_read(io.BytesIO(GOOD))
