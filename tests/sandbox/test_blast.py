"""POST /v1/fax/blast: recipients from the first sheet of an Excel workbook."""

from __future__ import annotations

import pytest

from .conftest import error_of, pdf_bytes, xlsx_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def blast(api, rows, *, data=None, **kwargs):
    files = {"recipient": ("list.xlsx", xlsx_bytes(rows, **kwargs), XLSX)}
    return api.post("/v1/fax/blast", data=data or {"coverPage": "true"}, files=files)


def test_a_header_row_is_detected_and_names_fill_recipient_name(api):
    rows = [
        ["Name", "Fax Number"],
        ["Dr. Lee", "2125550123"],
        ["Billing", 13125550100],
        ["London office", "+44 20 7946 0000"],
    ]
    response = blast(api, rows)
    assert response.status_code == 200
    body = response.json()
    assert body["errors"] == []
    assert [(f["recipientName"], f["faxNumber"], f["country"]) for f in body["success"]] == [
        ("Dr. Lee", "+12125550123", "US"),
        ("Billing", "+13125550100", "US"),
        ("London office", "+442079460000", "GB"),
    ]


def test_a_sheet_without_header_uses_the_number_column_and_the_first_text_column(api):
    body = blast(api, [[2125550123, "Dr. Lee"], [3125550100.0, "Billing"]]).json()
    assert [(f["recipientName"], f["faxNumber"]) for f in body["success"]] == [
        ("Dr. Lee", "+12125550123"),
        ("Billing", "+13125550100"),
    ]


def test_the_name_column_is_optional(api):
    body = blast(api, [["recipientFax"], ["+12125550123"], [""], ["2125550124"]]).json()
    assert [f["faxNumber"] for f in body["success"]] == ["+12125550123", "+12125550124"]
    assert {f["recipientName"] for f in body["success"]} == {None}


def test_each_invalid_row_is_one_error_and_valid_rows_still_go(api):
    rows = [
        ["Fax", "Name"],
        ["2125550123", "Good"],
        ["123", "Short"],
        [None, "No number"],
        ["2125550124", "x" * 41],
    ]
    body = blast(api, rows).json()
    assert [f["recipientName"] for f in body["success"]] == ["Good"]
    assert [(e["row"], e["recipientFax"]) for e in body["errors"]] == [
        (3, "123"),
        (4, ""),
        (5, "2125550124"),
    ]
    assert body["errors"][0]["error"].startswith(
        "InvalidInputError: row 3: invalid fax number '123'"
    )


def test_only_the_first_sheet_is_read(api):
    body = blast(api, [["Fax"], ["2125550123"]], extra_sheet=True).json()
    assert len(body["success"]) == 1


def test_blast_faxes_carry_the_attachments_and_cover_page(sandbox, api):
    response = api.post(
        "/v1/fax/blast",
        data={"coverPage": "true", "subject": "Price list"},
        files=[
            (
                "recipient",
                ("list.xlsx", xlsx_bytes([["Fax"], ["2125550123"], ["2125550001"]]), XLSX),
            ),
            ("attachments", ("a.pdf", pdf_bytes(2), "application/pdf")),
        ],
    )
    faxes = response.json()["success"]
    assert [f["pagesCount"] for f in faxes] == [3, 3]
    assert {f["subject"] for f in faxes} == {"Price list"}
    results = [sandbox.wait_for_fax(f["messageId"])["status"] for f in faxes]
    assert results == ["success", "failed"]


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("list.csv", b"Fax\n2125550123\n", "is not an Excel workbook (.xlsx)"),
        ("list.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old", "is an old .xls workbook"),
        ("list.xlsx", b"PK\x03\x04broken zip", "could not be read as an Excel workbook"),
    ],
)
def test_files_that_are_not_xlsx_are_refused(api, name, data, message):
    response = api.post(
        "/v1/fax/blast", data={"coverPage": "true"}, files={"recipient": (name, data, XLSX)}
    )
    assert response.status_code == 400
    assert message in error_of(response)["message"]


def test_a_missing_recipient_file_is_refused(api):
    response = api.post("/v1/fax/blast", data={"coverPage": "true"})
    assert response.status_code == 400
    assert error_of(response)["message"].startswith("recipient is required")


def test_a_sheet_without_a_number_column_is_refused(api):
    response = blast(api, [["Name", "City"], ["Dr. Lee", "Boston"]])
    assert response.status_code == 400
    assert "could not find a fax number column" in error_of(response)["message"]


def test_an_empty_sheet_is_refused(api):
    response = blast(api, [])
    assert response.status_code == 400
    assert "has no recipients" in error_of(response)["message"]


def test_blast_needs_files_or_a_cover_page(api):
    response = blast(api, [["Fax"], ["2125550123"]], data={"subject": "x"})
    assert response.status_code == 400
    assert error_of(response)["message"] == "No files and cover page in to send."
