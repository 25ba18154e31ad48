"""Releasing a number: confirmed by typing it; it becomes pending and leaves members' lists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fax_numbers.models import FaxNumber
from tests.conftest import API_URL
from tests.numbers.payloads import number_payload

pytestmark = pytest.mark.django_db

PENDING_UNTIL = "2026-12-27T10:00:00.000Z"


def release_url(number) -> str:
    return f"/numbers/{number.uuid}/release/"


def mock_release(api, number, *, listed=True):
    api.delete(f"{API_URL}/v1/numbers/{number.uuid}/release", body="OK")
    rows = [number_payload(uid=str(number.uuid), pendingUntil=PENDING_UNTIL)] if listed else []
    api.get(f"{API_URL}/v1/numbers", json={"rows": rows, "count": len(rows)})


def test_the_confirmation_asks_for_the_number_and_names_who_loses_it(
    staff_client, api, alice_number
):
    body = staff_client.get(release_url(alice_number)).content.decode()
    assert "Release (206) 555-0100?" in body
    assert "To confirm, type the number" in body
    assert "alice will no longer see it" in body
    assert len(api.calls) == 0


@pytest.mark.parametrize("typed", ["(206) 555-0101", "2065550", "hello", ""])
def test_a_wrong_number_is_refused_and_nothing_is_called(staff_client, api, alice_number, typed):
    response = staff_client.post(release_url(alice_number), {"typed": typed})
    body = response.content.decode()
    assert response.status_code == 200
    assert (
        "That is not this number. Type (206) 555-0100 to release it." in body
        or "That is not a phone number" in body
        or "This field is required" in body
    )
    assert len(api.calls) == 0
    alice_number.refresh_from_db()
    assert alice_number.state == FaxNumber.State.AVAILABLE


@pytest.mark.parametrize("typed", ["(206) 555-0100", "+1 206 555 0100", "206.555.0100"])
def test_any_usual_format_releases_it(staff_client, api, alice_number, alice_client, typed):
    mock_release(api, alice_number)
    response = staff_client.post(release_url(alice_number), {"typed": typed}, follow=True)
    assert [c.request.method for c in api.calls] == ["DELETE", "GET"]
    assert "type=pending" in api.calls[1].request.url
    alice_number.refresh_from_db()
    assert alice_number.state == FaxNumber.State.PENDING
    assert alice_number.pending_until == datetime(2026, 12, 27, 10, tzinfo=UTC)
    body = response.content.decode()
    assert "was released. Drenfax keeps it as pending until Dec 27, 2026" in body
    # It leaves the member's list and page, but stays assigned (for its past faxes).
    assert "(206) 555-0100" not in alice_client.get("/numbers/").content.decode()
    assert alice_client.get(f"/numbers/{alice_number.uuid}/").status_code == 404
    assert alice_number.assigned_users.exists()


def test_it_is_pending_even_when_the_date_cannot_be_read_back(staff_client, api, alice_number):
    mock_release(api, alice_number, listed=False)
    staff_client.post(release_url(alice_number), {"typed": "2065550100"})
    alice_number.refresh_from_db()
    assert alice_number.state == FaxNumber.State.PENDING and alice_number.pending_until is None


def test_an_api_refusal_keeps_the_number(staff_client, api, alice_number):
    api.delete(
        f"{API_URL}/v1/numbers/{alice_number.uuid}/release",
        status=400,
        json={"error": "number is already pending release"},
    )
    response = staff_client.post(release_url(alice_number), {"typed": "2065550100"})
    body = response.content.decode()
    assert "(206) 555-0100 was not released. number is already pending release" in body
    alice_number.refresh_from_db()
    assert alice_number.state == FaxNumber.State.AVAILABLE


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (400, '{"error": "InvalidInputError: number is pending release"}', "application/json"),
        (
            400,
            '{"error": {"name": "InvalidInputError", "message": "number is pending release"}}',
            "application/json",
        ),
        (400, "number is pending release", "text/plain"),
        (400, "<html><body><p>number is pending release</p></body></html>", "text/html"),
        (
            403,
            '{"error": {"name": "NotAllowedError", "message": "number is pending release"}}',
            "application/json",
        ),
    ],
    ids=["flat", "nested", "text", "html", "nested-403"],
)
def test_every_error_shape_reads_the_same_on_the_page(
    staff_client, api, alice_number, status, body, content_type
):
    api.delete(
        f"{API_URL}/v1/numbers/{alice_number.uuid}/release",
        status=status,
        body=body,
        content_type=content_type,
    )
    response = staff_client.post(release_url(alice_number), {"typed": "2065550100"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "was not released." in page and "number is pending release" in page
    assert "Error:" not in page  # the provider's error name stays in the log
    alice_number.refresh_from_db()
    assert alice_number.state == FaxNumber.State.AVAILABLE


def test_a_released_number_cannot_be_released_again(staff_client, api, alice_number):
    FaxNumber.objects.filter(pk=alice_number.pk).update(state=FaxNumber.State.PENDING)
    response = staff_client.post(release_url(alice_number), {"typed": "2065550100"}, follow=True)
    assert "is already pending release" in response.content.decode()
    assert len(api.calls) == 0
