"""The validate-number tool: phonenumbers first, then the API's verdict."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import API_URL

pytestmark = pytest.mark.django_db

VALIDATE_URL = f"{API_URL}/v1/numbers/validate"


def check(client, number, country="US", htmx=False):
    headers = {"HX-Request": "true", "HX-Target": "validate-result"} if htmx else {}
    return client.get(
        "/numbers/validate/", {"number": number, "country": country}, headers=headers
    ).content.decode()


def test_the_page_starts_empty(staff_client, api):
    body = staff_client.get("/numbers/validate/").content.decode()
    assert "Check a number" in body and 'value="US" selected' in body
    assert len(api.calls) == 0


@pytest.mark.parametrize(
    ("number", "reason"),
    [("206 555 010", "wrong number of digits"), ("call me", "not a number")],
)
def test_a_locally_invalid_number_is_explained_without_asking_the_api(
    staff_client, api, number, reason
):
    body = check(staff_client, number)
    assert f"Not a valid number:</strong> {reason}. Nothing was sent to Drenfax." in body
    assert len(api.calls) == 0


def test_a_valid_number_is_formatted_and_checked_with_the_api(staff_client, api):
    api.get(VALIDATE_URL, json={"isValid": True})
    body = check(staff_client, "(509) 457-0051")
    query = parse_qs(urlsplit(api.calls[0].request.url).query)
    assert query == {"number": ["+15094570051"], "country": ["US"]}
    for text in ["(509) 457-0051", "+15094570051", "+1 509-457-0051", "Valid", "accepts"]:
        assert text in body, text


def test_the_api_is_asked_about_the_numbers_own_country(staff_client, api):
    api.get(VALIDATE_URL, json={"isValid": False})
    body = check(staff_client, "+44 20 7946 0958", htmx=True)
    assert parse_qs(urlsplit(api.calls[0].request.url).query)["country"] == ["GB"]
    assert body.lstrip().startswith('<div id="validate-result"')
    assert "Not valid" in body and "Drenfax does not accept this number" in body


def test_an_api_failure_is_said_in_words(staff_client, api):
    api.get(VALIDATE_URL, status=401, json={"error": "bad key"})
    body = check(staff_client, "(509) 457-0051")
    assert "Could not ask" in body and "Drenfax refused the portal" in body


def test_an_unknown_country_is_refused(staff_client, api):
    body = check(staff_client, "5094570051", country="ZZ")
    assert "Select a valid choice" in body
    assert len(api.calls) == 0
