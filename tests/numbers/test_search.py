"""Searching for numbers to add: the API's one-of rule is checked first, in words."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import API_URL

pytestmark = pytest.mark.django_db

SEARCH_URL = f"{API_URL}/v1/numbers/provision/search"
RESULTS = {
    "result": [
        {
            "number_e164": "+12065550123",
            "regional_data": {"country_iso": "US", "rate_center": "SEATTLE", "state": "WA"},
            "preferable": True,
        },
        {
            "number_e164": "+12065550124",
            "regional_data": {"country_iso": "US", "rate_center": "SEATTLE", "state": "WA"},
            "preferable": False,
        },
    ],
    "limit": 20,
}


def test_the_page_starts_with_an_empty_form_and_calls_nothing(staff_client, api):
    body = staff_client.get("/numbers/search/").content.decode()
    assert "Search for available numbers" in body and "Area code" in body
    assert "Drenfax needs at least one" not in body
    assert len(api.calls) == 0


def test_a_search_without_area_code_city_or_zip_says_so_and_calls_nothing(staff_client, api):
    body = staff_client.get(
        "/numbers/search/", {"npa": "", "nxx": "555", "state": "WA", "city": "", "zipcode": ""}
    ).content.decode()
    assert "Enter an area code, a city or a ZIP code" in body
    assert len(api.calls) == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"npa": "20"}, "An area code is 3 digits"),
        ({"npa": "206", "nxx": "5x5"}, "An exchange is 3 digits"),
        ({"zipcode": "981"}, "A ZIP code is 5 digits"),
        # Other scripts' digits (Arabic-Indic 206, 555, 98101) are not dialled digits.
        ({"npa": "\u0662\u0660\u0666"}, "An area code is 3 digits"),
        ({"npa": "206", "nxx": "\u0665\u0665\u0665"}, "An exchange is 3 digits"),
        ({"zipcode": "\u0669\u0668\u0661\u0660\u0661"}, "A ZIP code is 5 digits"),
        ({"city": "Seattle", "state": "XX"}, "Select a valid choice"),
        ({"npa": "206", "limit": "1000"}, "less than or equal to 100"),
    ],
)
def test_malformed_fields_are_named_and_nothing_is_called(staff_client, api, params, message):
    body = staff_client.get("/numbers/search/", params).content.decode()
    assert message in body
    assert len(api.calls) == 0


def test_results_show_region_data_and_a_checkbox_per_number(staff_client, api):
    api.get(SEARCH_URL, json=RESULTS)
    body = staff_client.get(
        "/numbers/search/", {"npa": "(206)", "city": "Seattle", "state": "WA"}
    ).content.decode()
    query = parse_qs(urlsplit(api.calls[0].request.url).query)
    assert query == {"npa": ["206"], "city": ["Seattle"], "state": ["WA"], "limit": ["20"]}
    for text in ["(206) 555-0123", "+12065550123", "Seattle", "WA", "Recommended by Drenfax"]:
        assert text in body, text
    assert body.count('type="checkbox" name="numbers"') == 2
    assert 'value="+12065550124"' in body
    # The provision form remembers the search for its "back" link.
    assert 'name="search" value="npa=%28206%29&amp;city=Seattle&amp;state=WA"' in body


def test_htmx_gets_the_form_and_results_only(staff_client, api):
    api.get(SEARCH_URL, json=RESULTS)
    body = staff_client.get(
        "/numbers/search/",
        {"zipcode": "98101"},
        headers={"HX-Request": "true", "HX-Target": "search-area"},
    ).content.decode()
    assert body.lstrip().startswith('<div id="search-area">') and "<html" not in body
    assert "+12065550123" in body


def test_no_match_and_api_errors_are_said_in_words(staff_client, api):
    api.get(SEARCH_URL, json={"result": [], "limit": 20})
    body = staff_client.get("/numbers/search/", {"npa": "206"}).content.decode()
    assert "Drenfax has no numbers matching this search" in body
    api.replace("GET", SEARCH_URL, status=400, json={"error": "zipcode must be 5 digits"})
    body = staff_client.get("/numbers/search/", {"zipcode": "98101"}).content.decode()
    assert "The search did not work. zipcode must be 5 digits" in body
