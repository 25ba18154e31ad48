"""Number cells that must be left out, not half-read or faxed abroad."""

from __future__ import annotations

import contextlib
import io
import time

import pytest

from faxes.spreadsheets import LeftOutKind, recipient_list_read
from tests.blast.helpers import xlsx_bytes


def test_a_huge_exponent_leaves_its_row_out_and_keeps_the_rest():
    data = xlsx_bytes([["Fax", "Name"], ["2065550123", "Good"], ["1E+5000", "Odd"]])
    result = recipient_list_read(io.BytesIO(data))  # raises RefusedList("damaged") today
    assert [r.number for r in result.recipients] == ["+12065550123"]
    assert [(r.row, r.kind) for r in result.left_out] == [(3, LeftOutKind.BAD_NUMBER)]


def test_a_huge_exponent_is_not_worked_out_digit_by_digit():
    data = xlsx_bytes([["Fax"], ["2065550123"], ["1E+300000"]])
    started = time.perf_counter()
    with contextlib.suppress(Exception):
        recipient_list_read(io.BytesIO(data))
    # 1E+1000000 (ten characters) takes about 30 s of CPU, gunicorn's whole timeout.
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    "typo,abroad",
    [
        (20655501423, "Egypt"),  # (206) 555-0142 with a 3 typed twice
        (31255501000, "the Netherlands"),  # (312) 555-0100 with an extra 0
        (61755501234, "Australia"),
        (41555501234, "Switzerland"),
    ],
)
def test_a_us_number_cell_with_an_extra_digit_is_left_out_not_faxed_abroad(typo, abroad):
    result = recipient_list_read(io.BytesIO(xlsx_bytes([["Fax", "Name"], [typo, "Dr. Lee"]])))
    # The same digits typed as text are left out ("not a valid fax number"), as the README
    # says of numbers without a country code; as a number cell they go to `abroad`.
    assert [r.number for r in result.recipients] == [], f"sent to {abroad}"
    assert [r.kind for r in result.left_out] == [LeftOutKind.BAD_NUMBER]


@pytest.mark.parametrize("cell", ["206-555-0100; 2065550101", "2065550100;2065550101"])
def test_a_cell_with_two_numbers_is_left_out(cell):
    result = recipient_list_read(io.BytesIO(xlsx_bytes([["Fax", "Name"], [cell, "Two desks"]])))
    # "206-555-0100, 206-555-0101" and "... / ..." are left out as bad numbers; with ";"
    # (RFC 3966 parameters to phonenumbers) the first number is faxed, the second dropped.
    assert [r.number for r in result.recipients] == []
    assert [r.kind for r in result.left_out] == [LeftOutKind.BAD_NUMBER]
