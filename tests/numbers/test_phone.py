"""Provider numbers to E.164: the quick forms agree with phonenumbers."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from fax_numbers.phone import to_e164


@pytest.fixture(autouse=True)
def fresh_cache():
    """to_e164 caches by text alone: these tests change the region under it."""
    to_e164.cache_clear()
    yield
    to_e164.cache_clear()


def by_phonenumbers(text: str, region: str) -> str:
    return phonenumbers.format_number(
        phonenumbers.parse(text, region), phonenumbers.PhoneNumberFormat.E164
    )


def test_provider_forms_of_us_numbers_come_out_as_phonenumbers_gives_them(settings):
    settings.DEFAULT_PHONE_REGION = "US"
    rng = random.Random(7)
    for _ in range(500):
        national = str(rng.randrange(2_000_000_000, 10_000_000_000))
        for text in (national, f"+1{national}"):
            assert to_e164(text) == by_phonenumbers(text, "US"), text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2065550100", "+442065550100"),  # ten digits are national in the portal's region
        ("+12065550100", "+12065550100"),
        ("+4402012345678", "+442012345678"),  # a trunk 0 after the country code goes
        ("12065550100", "+12065550100"),
        ("1065550100", "+441065550100"),
    ],
)
def test_other_forms_and_regions_go_through_phonenumbers(settings, text, expected):
    settings.DEFAULT_PHONE_REGION = "GB"
    assert to_e164(text) == expected


@pytest.mark.parametrize(
    "typed", ["206-555-0142 ext 5", "(206) 555-0142 x12", "+1 206 555 0142;ext=3"]
)
def test_a_typed_number_with_an_extension_is_refused_not_dialled_without_it(typed):
    from fax_numbers.phone import InvalidNumber, parse_number

    with pytest.raises(InvalidNumber, match="extension"):
        parse_number(typed, "US")
