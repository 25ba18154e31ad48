"""The numbers list: from the cache, filtered, refreshed from the API; members see theirs."""

from __future__ import annotations

import pytest

from fax_numbers.models import FaxNumber
from tests.conftest import API_URL
from tests.numbers.payloads import cached_number, number_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def numbers(alice, bob, alice_number, bob_number):
    pending = cached_number("7025551234", pendingUntil="2026-12-27T10:00:00.000Z")
    removed = cached_number("3145550100")
    FaxNumber.objects.filter(pk=removed.pk).update(state=FaxNumber.State.REMOVED)
    return alice_number, bob_number, pending, removed


def test_staff_see_every_current_number_in_both_formats(staff_client, numbers):
    body = staff_client.get("/numbers/").content.decode()
    for text in [
        "(206) 555-0100",
        "+12065550100",
        "(312) 555-0100",
        "(702) 555-1234",
        "Pending release",
        "Dec 27, 2026",
        "alice",
        "bob",
        "Castle Black Clinic",
        "Refresh from Drenfax",
        "Find &amp; add numbers",
    ]:
        assert text in body, text
    assert "(314) 555-0100" not in body  # removed numbers only on request
    assert f"/faxes/?number={numbers[0].uuid}" in body


def test_the_status_filter_shows_removed_numbers_on_request(staff_client, numbers):
    body = staff_client.get("/numbers/?state=removed").content.decode()
    assert "(314) 555-0100" in body and "(206) 555-0100" not in body
    body = staff_client.get("/numbers/?state=all").content.decode()
    assert "(314) 555-0100" in body and "(206) 555-0100" in body
    body = staff_client.get("/numbers/?state=pending").content.decode()
    assert "(702) 555-1234" in body and "(206) 555-0100" not in body


def test_the_text_filter_finds_a_typed_number_or_a_person(staff_client, numbers):
    body = staff_client.get("/numbers/", {"q": "(312) 555"}).content.decode()
    assert "(312) 555-0100" in body and "(206) 555-0100" not in body
    body = staff_client.get("/numbers/", {"q": "ALI"}).content.decode()
    assert "(206) 555-0100" in body and "(312) 555-0100" not in body
    body = staff_client.get("/numbers/", {"q": "zzz"}).content.decode()
    assert "No numbers match" in body


def test_the_filter_answers_htmx_with_the_results_only(staff_client, numbers):
    response = staff_client.get(
        "/numbers/", {"q": "206"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">') and "<html" not in body
    assert "(206) 555-0100" in body


def test_members_see_only_their_active_numbers_read_only(alice_client, numbers):
    body = alice_client.get("/numbers/").content.decode()
    assert "Your fax numbers" in body
    assert "(206) 555-0100" in body
    for hidden in ["(312) 555-0100", "(702) 555-1234", "Refresh from Drenfax", "Find &amp; add"]:
        assert hidden not in body, hidden
    # A member's status filter is ignored: they never see others' or released numbers.
    body = alice_client.get("/numbers/?state=all").content.decode()
    assert "(312) 555-0100" not in body and "(702) 555-1234" not in body


def test_refresh_reads_the_numbers_from_the_api(staff_client, api, numbers):
    fresh = number_payload("5094570051")
    api.get(f"{API_URL}/v1/numbers", json={"rows": [fresh], "count": 1, "limit": 100})
    response = staff_client.post("/numbers/refresh/", {"next": "/numbers/?q=509"})
    assert response.status_code == 302 and response["Location"] == "/numbers/?q=509"
    assert FaxNumber.objects.get(uuid=fresh["uuid"]).number == "+15094570051"
    # Numbers the API no longer lists stay cached as removed, for their faxes.
    assert FaxNumber.objects.get(pk=numbers[0].pk).state == FaxNumber.State.REMOVED
    body = staff_client.get("/numbers/").content.decode()
    assert "Refreshed from Drenfax: 1 number." in body


def test_a_failed_refresh_says_why_and_changes_nothing(staff_client, api, numbers):
    api.get(f"{API_URL}/v1/numbers", status=401, json={"error": "bad key"})
    response = staff_client.post("/numbers/refresh/", follow=True)
    assert "The list was not refreshed" in response.content.decode()
    assert "Drenfax refused the portal" in response.content.decode()
    assert FaxNumber.objects.get(pk=numbers[0].pk).state == FaxNumber.State.AVAILABLE
