"""Contacts lists and forms that are odd but fair: formulas without results, a title line
above a semicolon header, UTF-16 text, quotes before formula signs, line breaks in notes."""

import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts.models import Contact


def upload(data: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def workbook(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_too_many_tags_are_refused_with_the_length_they_take_as_stored(staff_client):
    # 50 tags, 199 characters as typed, 248 once written "t00, t01, ...": the message says
    # so (not "it has 248" about text the user typed shorter), and keeps what was typed.
    tags = ",".join(f"t{i:02d}" for i in range(50))
    assert len(tags) < 200
    response = staff_client.post(
        "/contacts/new/", {"name": "Dr. Kim", "fax_number": "2065550142", "tags": tags}
    )
    assert response.context["form"].errors["tags"] == [
        "Too many tags: written as “a, b, c” they take 248 characters, and 200 is the most."
    ]
    assert f'value="{tags}"' in response.text
    assert not Contact.objects.exists()


def test_an_excel_name_computed_by_a_formula_without_its_result_is_not_called_no_name(
    staff_client,
):
    # openpyxl (and many exporters) save formulas without their results: the name cell
    # holds =A2&" "&B2. The blast reader says so; the contacts import says "no name".
    data = workbook(
        [["First", "Last", "Name", "Fax number"], ["Asha", "Patel", '=A2&" "&B2', "2065550142"]]
    )
    response = staff_client.post("/contacts/import/", {"file": upload(data, "list.xlsx")})
    (row,) = response.context["rows"]
    assert row.problem != "no name"
    assert "formula" in row.problem


def test_a_semicolon_csv_with_a_title_line_above_its_header_is_read(staff_client):
    # The reader looks for the header among the first ten rows, but the delimiter sniffer
    # fails on the title line and falls back to ",", so the header is never found.
    text = "Clinic contacts\nName;Fax number\nDr. Kim;2065550142\nDr. Lee;3125550199\n"
    response = staff_client.post("/contacts/import/", {"file": upload(text.encode(), "c.csv")})
    assert response.context.get("error") is None, response.context.get("error")
    assert response.context["valid"] == 2


def test_a_utf16_text_export_from_excel_is_read_or_refused_for_what_it_is(staff_client):
    # Excel's "Unicode Text (*.txt)": UTF-16 with a BOM, tab-separated. The .txt is read as
    # CSV, decoded as cp1252, then refused as "binary data".
    text = "Name\tFax number\r\nJosé Ortiz\t2065550142\r\n"
    data = b"\xff\xfe" + text.encode("utf-16-le")
    response = staff_client.post("/contacts/import/", {"file": upload(data, "contacts.txt")})
    assert response.context.get("error") is None, response.context.get("error")
    (row,) = response.context["rows"]
    assert (row.contact.name, row.contact.fax_number) == ("José Ortiz", "+12065550142")


def test_a_name_beginning_with_a_quote_and_a_formula_sign_survives_export_and_import(
    staff_client,
):
    # The export imports back unchanged, even a quote before a formula sign.
    Contact.objects.create(name="'-' Dr. Dash", fax_number="+12065550100", notes="'=call first")
    before = list(Contact.objects.values_list("name", "notes"))
    exported = staff_client.get("/contacts/export.csv").content
    Contact.objects.all().delete()
    preview = staff_client.post("/contacts/import/", {"file": upload(exported, "e.csv")})
    staff_client.post("/contacts/import/", {"action": "import", "token": preview.context["token"]})
    assert list(Contact.objects.values_list("name", "notes")) == before


def test_notes_the_browser_lets_you_type_are_accepted(staff_client):
    # The textarea has maxlength="1000", which browsers count with one character per line
    # break; the form submits each line break as CRLF, and the 1000 is checked on that.
    page = staff_client.get("/contacts/new/").text
    assert 'maxlength="1000"' in page
    notes = "\r\n".join(["x" * 99] * 10) + "x"  # 1000 characters with "\n" line breaks
    assert len(notes.replace("\r\n", "\n")) == 1000
    response = staff_client.post(
        "/contacts/new/", {"name": "Dr. Kim", "fax_number": "2065550142", "notes": notes}
    )
    assert response.status_code == 302, response.context["form"].errors.get("notes")


def test_an_excel_error_in_a_name_cell_is_left_out_not_imported_as_a_name(staff_client):
    data = workbook([["Name", "Fax number"], ["#N/A", "2065550142"], ["Dr. Kim", "3125550199"]])
    response = staff_client.post("/contacts/import/", {"file": upload(data, "list.xlsx")})
    bad, good = response.context["rows"]
    assert bad.problem == "the name cell shows an error (#N/A)"
    assert good.contact is not None and not good.problem
