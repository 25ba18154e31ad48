"""Reading a recipient list: header and columns, number formats, rows left out, speed."""

from __future__ import annotations

import io
import random
import time
import tracemalloc

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from fax_numbers.phone import InvalidNumber, parse_number
from faxes.spreadsheets import (
    EXAMPLE_NAME,
    EXAMPLE_NUMBER,
    LeftOutKind,
    Normaliser,
    RefusedList,
    clean_workbook,
    recipient_list_read,
    template_workbook,
)
from tests.blast.helpers import fixture, handmade_xlsx, read_back, sheet_xml, xlsx_bytes


def read(rows, **options):
    return recipient_list_read(io.BytesIO(xlsx_bytes(rows, **options)))


def sent(result) -> list[tuple[int, str, str]]:
    return [(r.row, r.number, r.name) for r in result.recipients]


def left(result) -> list[tuple[int, str]]:
    return [(r.row, r.kind) for r in result.left_out]


# --- header and columns ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "number_header,name_header",
    [
        ("Fax Number", "Recipient Name"),
        ("fax_number", "name"),
        ("FAX #", "Company"),
        ("Fax No.", "Contact"),
        ("recipientFax", "Recipient"),
        ("Fax (main office)", "Practice name"),
        ("Phone", "To"),
    ],
)
def test_the_number_and_name_columns_are_found_by_their_headers(number_header, name_header):
    result = read([["City", name_header, number_header], ["Seattle", "Dr. Lee", "2065550123"]])
    assert result.number_column.index == 3 and result.number_column.title == number_header
    assert result.name_column.index == 2 and result.name_column.title == name_header
    assert result.header_row == 1
    assert sent(result) == [(2, "+12065550123", "Dr. Lee")]


def test_a_fax_column_wins_over_a_phone_column():
    result = read([["Phone", "Fax"], ["2065550100", "2065550123"]])
    assert result.number_column.title == "Fax"
    assert [r.number for r in result.recipients] == ["+12065550123"]


def test_title_rows_above_the_header_are_skipped():
    result = read([["Fax list, March"], [], ["Company", "Fax Number"], ["Acme", "2065550123"]])
    assert result.header_row == 3 and result.rows_above_header == 1
    assert sent(result) == [(4, "+12065550123", "Acme")]


def test_without_a_header_the_number_column_is_found_by_its_content():
    result = read([["Dr. Adams", 2125550123], ["Billing", "(212) 555-0124"], ["Desk", "x"]])
    assert result.header_row is None
    assert result.number_column.index == 2 and result.name_column.index == 1
    assert sent(result) == [(1, "+12125550123", "Dr. Adams"), (2, "+12125550124", "Billing")]
    assert left(result) == [(3, LeftOutKind.NOT_A_NUMBER)]


def test_an_unknown_header_above_numbers_is_taken_as_the_header():
    result = read([["Kontakt", "Telefon"], ["Dr. Adams", "2125550123"], ["Billing", "2125550124"]])
    assert result.header_row == 1
    assert result.number_column.title == "Telefon" and result.name_column.title == "Kontakt"
    assert len(result.recipients) == 2


def test_a_title_row_above_an_unknown_header_is_skipped():
    result = read([["Clinic list"], ["Kontakt", "Telefon"], ["Dr. Adams", "2125550123"]])
    assert (result.header_row, result.rows_above_header) == (2, 1)
    assert result.number_column.title == "Telefon"
    assert sent(result) == [(3, "+12125550123", "Dr. Adams")] and not result.left_out


def test_names_are_optional():
    result = read([["Fax"], ["2065550123"], ["2065550124"]])
    assert result.name_column is None
    assert sent(result) == [(2, "+12065550123", ""), (3, "+12065550124", "")]


def test_the_first_visible_sheet_with_a_number_column_is_read():
    result = read(
        [["Fax"], ["2065550123"]],
        before={"Instructions": [["Fill in the next sheet"]], "Old": [["Fax"], ["3125550100"]]},
        hidden_before=True,
    )
    assert result.sheet == "Recipients"
    result = read([["Fax"], ["2065550123"]], before={"Read me": [["Fill in the next sheet"]]})
    assert result.sheet == "Recipients" and len(result.recipients) == 1


# --- number formats ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell,expected",
    [
        ("(206) 555-0100", "+12065550100"),
        ("+1 206 555 0100", "+12065550100"),
        ("206.555.0100", "+12065550100"),
        ("1-206-555-0100", "+12065550100"),
        ("  2065550100  ", "+12065550100"),
        (2065550100, "+12065550100"),
        (2065550100.0, "+12065550100"),
        (12065550100, "+12065550100"),
        (1.2345678901e10, "+12345678901"),
        ("1.2345678901E10", "+12345678901"),
        ("1.2345678901E+10", "+12345678901"),
        ("+44 20 7946 0000", "+442079460000"),
        ("(416) 555-0199", "+14165550199"),  # Canada, through phonenumbers
    ],
)
def test_numbers_as_text_or_numbers_are_normalised_to_e164(cell, expected):
    result = read([["Fax"], [cell]])
    assert [r.number for r in result.recipients] == [expected], result.left_out


@pytest.mark.parametrize(
    "cell,kind,reason",
    [
        ("1.2345678901E9", LeftOutKind.BAD_NUMBER, "not a whole number"),
        (1234567890.1, LeftOutKind.BAD_NUMBER, "not a whole number"),
        ("2.0655501E+09", LeftOutKind.BAD_NUMBER, "scientific notation"),
        ("123", LeftOutKind.BAD_NUMBER, "wrong number of digits"),
        ("(206) 555-01", LeftOutKind.BAD_NUMBER, "not a valid fax number"),
        ("+999 1234 5678", LeftOutKind.BAD_NUMBER, "unknown country code"),
        ("n/a", LeftOutKind.NOT_A_NUMBER, "not a number"),
        ("call first", LeftOutKind.NOT_A_NUMBER, "not a number"),
        (True, LeftOutKind.NOT_A_NUMBER, "TRUE/FALSE"),
        ("#N/A", LeftOutKind.NOT_A_NUMBER, "Excel error"),
        (-2065550100, LeftOutKind.BAD_NUMBER, "not a fax number"),
        # Faxing the main line without the extension may reach a person, not the machine.
        ("206-555-0100 ext. 12", LeftOutKind.BAD_NUMBER, "extension"),
    ],
)
def test_bad_numbers_are_left_out_with_the_reason(cell, kind, reason):
    result = read([["Fax", "Name"], [cell, "Someone"], ["2065550123", "Good"]])
    assert [r.name for r in result.recipients] == ["Good"]
    assert len(result.left_out) == 1
    row = result.left_out[0]
    assert (row.row, row.kind, row.name) == (2, kind, "Someone")
    assert reason in row.reason


def test_a_date_is_not_a_number():
    from datetime import datetime

    result = read([["Fax"], [datetime(2030, 1, 2)]])
    assert left(result) == [(2, LeftOutKind.NOT_A_NUMBER)]
    assert "date" in result.left_out[0].reason


def test_a_number_cell_is_never_read_as_an_international_number():
    # A number cell cannot hold the "+": 442079460000 may be a London number, or a local
    # number mistyped; it is left out with the way to send it abroad.
    result = read([["Fax"], [442079460000], ["+44 20 7946 0000"]])
    assert [r.number for r in result.recipients] == ["+442079460000"]
    assert left(result) == [(2, LeftOutKind.BAD_NUMBER)]
    assert "needs its + and country code" in result.left_out[0].reason


def test_the_region_setting_reads_numbers_without_a_country_code(settings):
    settings.DEFAULT_PHONE_REGION = "GB"
    result = read([["Fax"], ["020 7946 0000"], ["2065550100"], ["+1 206 555 0100"]])
    assert [r.number for r in result.recipients] == ["+442079460000", "+12065550100"]
    assert left(result) == [(3, LeftOutKind.BAD_NUMBER)]


# --- rows left out ---------------------------------------------------------------------------


def test_duplicates_blank_rows_and_rows_without_a_number():
    result = read(
        [
            ["Name", "Fax"],
            ["First", "(206) 555-0123"],
            [None, None],
            ["Same number", "+1 206 555 0123"],
            ["No number", None],
            ["Spaces", "   "],
            ["Second", 2065550124],
            [None, None, "a note in another column"],
        ]
    )
    assert sent(result) == [(2, "+12065550123", "First"), (7, "+12065550124", "Second")]
    assert left(result) == [
        (4, LeftOutKind.DUPLICATE),
        (5, LeftOutKind.EMPTY),
        (6, LeftOutKind.EMPTY),
        (8, LeftOutKind.EMPTY),
    ]
    assert "same number as row 2" in result.left_out[0].reason
    assert result.counts == {LeftOutKind.EMPTY: 3, LeftOutKind.DUPLICATE: 1}


def test_formulas_saved_without_a_value_are_flagged():
    # openpyxl writes formulas without a cached result, as a file never opened in Excel.
    result = read(
        [
            ["Fax", "Name"],
            ['=B2&"555"', "Formula"],
            ["2065550123", '=UPPER("x")'],
            [None, None, "=1+1"],  # not an empty row
        ]
    )
    assert left(result) == [(2, LeftOutKind.FORMULA), (4, LeftOutKind.EMPTY)]
    assert '=B2&"555"' in result.left_out[0].reason
    assert "saved without its result" in result.left_out[0].reason
    assert sent(result) == [(3, "+12065550123", "")]  # a name without a value is no name


def test_formulas_with_a_cached_value_use_it():
    row = '<row r="1"><c r="A1" t="inlineStr"><is><t>Fax</t></is></c></row>'
    row += '<row r="2"><c r="A2" t="str"><f>"206"&amp;"5550123"</f><v>2065550123</v></c></row>'
    result = recipient_list_read(io.BytesIO(handmade_xlsx(sheet_xml(row))))
    assert [r.number for r in result.recipients] == ["+12065550123"]


def test_a_number_cell_written_in_exponent_notation_keeps_all_its_digits():
    # Some producers write <v>2.0655501E9</v>: a number cell holds the whole value, unlike
    # text copied from a narrow column.
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>Fax</t></is></c></row>'
    rows += '<row r="2"><c r="A2"><v>2.0655501E9</v></c></row>'
    rows += '<row r="3"><c r="A3"><v>2065550123.0</v></c></row>'
    result = recipient_list_read(io.BytesIO(handmade_xlsx(sheet_xml(rows))))
    assert [r.number for r in result.recipients] == ["+12065550100", "+12065550123"]


def test_a_name_over_40_characters_is_left_out():
    result = read([["Fax", "Name"], ["2065550123", "x" * 41], ["2065550124", "y" * 40]])
    assert left(result) == [(2, LeftOutKind.NAME)]
    assert [r.name for r in result.recipients] == ["y" * 40]


def test_names_lose_control_characters_and_extra_spaces():
    result = read([["Fax", "Name"], ["2065550123", "  Dr.\tLee \n Clinic "], ["2065550124", 42]])
    assert [r.name for r in result.recipients] == ["Dr. Lee Clinic", "42"]


def test_the_templates_example_row_is_left_out():
    result = read([["Fax Number", "Recipient Name"], [EXAMPLE_NUMBER, EXAMPLE_NAME]])
    assert left(result) == [(2, LeftOutKind.EXAMPLE)]
    assert not result.recipients


# --- other producers -----------------------------------------------------------------------


def test_a_libreoffice_workbook_with_a_title_row_shared_strings_and_cached_formulas():
    result = recipient_list_read(io.BytesIO(fixture("libreoffice-clinics.xlsx")))
    assert (result.sheet, result.header_row, result.rows_above_header) == ("Clinics", 2, 1)
    assert (result.number_column.title, result.name_column.title) == ("Fax number", "Name")
    assert sent(result) == [
        (3, "+12065550123", "Dr. Lee"),
        (4, "+13125550100", "Lakeside Pharmacy"),
        (5, "+442079460000", "London office"),
        (9, "+12065550144", "Computed"),
        (11, "+12125550199", "Scientific"),
    ]
    assert left(result) == [
        (6, LeftOutKind.DUPLICATE),
        (8, LeftOutKind.BAD_NUMBER),
        (10, LeftOutKind.EMPTY),
    ]


def test_a_libreoffice_workbook_without_a_header():
    result = recipient_list_read(io.BytesIO(fixture("libreoffice-no-header.xlsx")))
    assert result.header_row is None
    assert sent(result) == [(1, "+12125550123", "Dr. Adams"), (2, "+12125550124", "Billing")]
    assert left(result) == [(3, LeftOutKind.NOT_A_NUMBER)]


def test_a_hand_made_workbook_with_inline_and_shared_strings_and_no_dimension():
    from tests.blast.helpers import shared_strings_xml

    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>3125550100</v></c></row>'
        '<row r="4"><c r="A4" t="inlineStr"><is><t>Inline</t></is></c>'
        '<c r="B4" t="inlineStr"><is><t>+1 (312) 555-0101</t></is></c></row>'
        '<row r="5"><c r="XFD5" t="inlineStr"><is><t>far away</t></is></c></row>'
    )
    data = handmade_xlsx(
        sheet_xml(rows, dimension=None),
        shared=shared_strings_xml(["Contact", "Fax", "Shared"]),
        title="Liste",
    )
    result = recipient_list_read(io.BytesIO(data))
    assert result.sheet == "Liste"
    assert sent(result) == [(2, "+13125550100", "Shared"), (4, "+13125550101", "Inline")]
    assert left(result) == [(5, LeftOutKind.EMPTY)]


def test_a_large_image_in_the_workbook_is_no_obstacle():
    import random

    noise = random.Random(1).randbytes(3 * 1024 * 1024)  # 3 MB that does not compress
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>Fax</t></is></c></row>'
    rows += '<row r="2"><c r="A2"><v>2065550123</v></c></row>'
    data = handmade_xlsx(sheet_xml(rows), extra={"xl/media/image1.png": b"\x89PNG" + noise})
    assert len(recipient_list_read(io.BytesIO(data)).recipients) == 1


def test_a_large_sheet_of_real_rows_is_read():
    rows = [["Fax Number", "Name", "Street", "City", "Notes"]] + [
        [f"(206) 555-{i % 10000:04d}", f"Clinic {i}", f"{i} Main St", "Seattle", "x" * 40]
        for i in range(9_000)
    ]
    result = read(rows)  # over 2 MB of sheet XML: counted first, then read
    assert len(result.recipients) == 9_000


# --- the template and the clean file -------------------------------------------------------


def test_the_template_reads_back_with_its_example_row_left_out(settings):
    settings.BLAST_MAX_ROWS = 2500
    data = template_workbook()
    result = recipient_list_read(io.BytesIO(data))
    assert (result.number_column.title, result.name_column.title) == (
        "Fax Number",
        "Recipient Name",
    )
    assert left(result) == [(2, LeftOutKind.EXAMPLE)]
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Recipients", "Notes"]
    notes = " ".join(str(c.value) for row in workbook["Notes"].iter_rows() for c in row)
    assert "2,500 recipients" in notes and "cannot attach documents" in notes
    assert workbook["Recipients"]["A1"].comment is not None


def test_the_clean_file_holds_only_the_recipients_as_text():
    result = read(
        [
            ["Junk", "Name", "Fax"],
            ["x", "=HYPERLINK(1)", "(206) 555-0123"],
            ["y", "Bad", "123"],
            ["z", "Plain", 2065550124],
        ]
    )
    result.recipients[0] = type(result.recipients[0])(2, "+12065550123", "=cmd|' /c calc'!A0")
    rows = read_back(clean_workbook(result.recipients))
    assert rows == [
        ("Fax Number", "Recipient Name"),
        ("+12065550123", "=cmd|' /c calc'!A0"),  # text, never a formula
        ("+12065550124", "Plain"),
    ]


# --- the cap and speed -----------------------------------------------------------------------


def test_more_rows_than_the_cap_refuses_the_file(settings):
    settings.BLAST_MAX_ROWS = 5
    rows = [["Fax"]] + [[f"206555{i:04d}"] for i in range(100, 106)]
    with pytest.raises(RefusedList, match="more than 5 rows; a blast sends to at most 5"):
        read(rows)
    assert len(read(rows[:6]).recipients) == 5
    with pytest.raises(RefusedList, match="more than 5 rows"):
        read([*rows[:6], ["not a number"]])  # rows left out count too


def ten_thousand_rows() -> bytes:
    random.seed(10)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Recipients")
    sheet.append(["Fax Number", "Recipient Name"])
    for i in range(10_000):
        digits = f"{random.choice(['206', '212', '312', '415', '617'])}{random.randint(200, 999)}"
        digits += f"{random.randint(0, 9999):04d}"
        shape = i % 3
        if shape == 0:
            cell = float(digits)
        elif shape == 1:
            cell = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
        else:
            cell = f"+1 {digits[:3]} {digits[3:6]} {digits[6:]}"
        sheet.append([cell, f"Clinic {i}"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_ten_thousand_rows_are_read_in_seconds_in_bounded_memory():
    data = ten_thousand_rows()
    started = time.perf_counter()
    tracemalloc.start()
    try:
        result = recipient_list_read(io.BytesIO(data))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    assert len(result.recipients) + len(result.left_out) == 10_000
    assert len(result.recipients) + result.counts.get(LeftOutKind.DUPLICATE, 0) == 10_000
    assert elapsed < 10, f"{elapsed:.1f} s (under tracemalloc, which slows it down)"
    assert peak < 100 * 1024 * 1024


# --- the cheap path for North American numbers agrees with phonenumbers --------------------


def full_parse(text: str) -> str | None:
    try:
        return parse_number(text, "US")
    except InvalidNumber:
        return None


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet="0123456789", min_size=10, max_size=10),
    st.sampled_from(["{}", "({}) {}-{}", "+1 {} {} {}", "1-{}-{}-{}", "{}.{}.{}"]),
)
def test_the_cheap_path_gives_what_a_full_parse_gives(digits, shape):
    text = shape.format(digits[:3], digits[3:6], digits[6:]) if "{}" in shape[2:] else digits
    cheap = Normaliser("US").number(text)[0]
    assert cheap == full_parse(text)


def test_the_cheap_path_agrees_on_many_random_numbers():
    random.seed(7)
    normaliser = Normaliser("US")
    for _ in range(5_000):
        digits = str(random.randint(2_000_000_000, 9_999_999_999))
        assert normaliser.number(digits)[0] == full_parse(digits), digits
        number = phonenumbers.PhoneNumber(country_code=1, national_number=int(digits))
        assert (normaliser.number(digits)[0] is not None) == phonenumbers.is_valid_number(number)
