"""Numbers when Drenfax's answer is uncertain or late: provisioning, release, the sync."""

from __future__ import annotations

import json
import uuid

import pytest

from fax_numbers.models import FaxNumber, Provisioning
from tests.conftest import API_URL
from tests.numbers.test_provision import PROVISION_URL, confirm_form, review

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<html><body>OK</body></html>", "text/html"),
        ('{"status": "ok"}', "application/json"),
        ("", "application/json"),
    ],
    ids=["html-200", "object-not-list", "empty-200"],
)
def test_a_2xx_answer_of_the_wrong_shape_is_not_reported_as_nothing_added(
    staff_client, api, body, content_type
):
    # Drenfax said 200 to the provision POST: the numbers have probably been bought.
    api.post(PROVISION_URL, status=200, body=body, content_type=content_type)
    data = confirm_form(review(staff_client, kind="local", quantity="3", search=""))
    page = staff_client.post("/numbers/provision/", data, follow=True).content.decode()
    assert Provisioning.objects.get().state == Provisioning.State.UNKNOWN
    assert "Nothing was added" not in page


def test_a_released_number_stays_released_after_someone_is_taken_off_it(
    staff_client, api, alice_at_drenfax, bob, bob_client
):
    from tests.numbers.conftest import ALICE_DRENFAX_ID
    from tests.numbers.payloads import cached_number

    number = cached_number("2065550100", alice_at_drenfax, bob, users=(ALICE_DRENFAX_ID,))
    api.delete(f"{API_URL}/v1/numbers/{number.uuid}/release", body="OK")
    # The pending date cannot be read back this time (a 429, a timeout, or not listed yet).
    api.get(f"{API_URL}/v1/numbers", status=429, json={"error": "Too many requests"})
    staff_client.post(f"/numbers/{number.uuid}/release/", {"typed": "2065550100"})
    number.refresh_from_db()
    assert number.state == FaxNumber.State.PENDING
    assert bob_client.get(f"/numbers/{number.uuid}/").status_code == 404

    # Staff then take Alice off the released number (mirrored to Drenfax).
    api.delete(f"{API_URL}/v1/numbers/{number.uuid}/user/{ALICE_DRENFAX_ID}", body="OK")
    staff_client.post(f"/numbers/{number.uuid}/unassign/", {"user": alice_at_drenfax.pk})
    number.refresh_from_db()
    assert number.state == FaxNumber.State.PENDING
    assert bob_client.get(f"/numbers/{number.uuid}/").status_code == 404


def test_a_release_that_timed_out_is_not_reported_as_not_released(
    staff_client, api, alice_number, alice_client
):
    import requests

    from tests.numbers.payloads import number_payload

    release = f"{API_URL}/v1/numbers/{alice_number.uuid}/release"
    # Drenfax got the DELETE and released the number, but its answer never came back.
    api.delete(release, body=requests.exceptions.ReadTimeout("read timed out"))
    pending = number_payload(uid=str(alice_number.uuid), pendingUntil="2026-12-27T10:00:00.000Z")
    api.get(f"{API_URL}/v1/numbers", json={"rows": [pending], "count": 1})
    first = staff_client.post(f"/numbers/{alice_number.uuid}/release/", {"typed": "2065550100"})
    # The staff user retries, as the page tells them to: Drenfax now says it is pending.
    api.replace(
        "DELETE",
        release,
        status=400,
        json={"error": "number +12065550100 is already pending release"},
    )
    second = staff_client.post(f"/numbers/{alice_number.uuid}/release/", {"typed": "2065550100"})
    alice_number.refresh_from_db()
    assert alice_number.state == FaxNumber.State.PENDING, (
        first.content.decode().count("was not released"),
        second.content.decode().count("was not released"),
    )
    assert alice_client.get(f"/numbers/{alice_number.uuid}/").status_code == 404


def test_a_number_provisioned_while_a_sync_runs_is_not_marked_removed(api, staff, alice_number):
    """The 5-minute numbers sync reads the list, then marks every cached number it did not
    see as removed; a number bought in between (by a staff member's request running at the
    same time) was not on the list it read."""
    from drenfax_portal.api import get_client
    from fax_numbers.provisioning import provisioning_claim, provisioning_execute
    from fax_numbers.services import numbers_sync
    from tests.numbers.payloads import number_payload

    listed = number_payload("2065550100", uid=str(alice_number.uuid))
    bought = number_payload("2065550123")
    api.post(PROVISION_URL, json=[bought])

    def list_page(request):
        # While Drenfax answers the sync's list call, the staff request provisions.
        provisioning, _ = provisioning_claim(
            key=uuid.uuid4(), user=staff, kind="order", numbers=["+12065550123"]
        )
        with get_client() as client:
            provisioning_execute(client=client, provisioning=provisioning)
        return 200, {}, json.dumps({"rows": [listed], "count": 1})

    api.add_callback("GET", f"{API_URL}/v1/numbers", callback=list_page)
    with get_client() as client:
        numbers_sync(client=client)
    new = FaxNumber.objects.get(uuid=bought["uuid"])
    assert Provisioning.objects.get().state == Provisioning.State.DONE
    assert new.state == FaxNumber.State.AVAILABLE  # it is on the account: it was just bought


def test_a_double_click_on_release_ends_on_released_not_on_was_not_released(
    staff_client, api, alice_number
):
    """A second click posted while the first waits for Drenfax sends a second DELETE
    (the button's data-once stops it in a browser with JavaScript). Drenfax refuses it, as
    the number is pending already: the page the browser shows says it was released."""
    from tests.numbers.payloads import number_payload

    release = f"{API_URL}/v1/numbers/{alice_number.uuid}/release"
    url = f"/numbers/{alice_number.uuid}/release/"
    shown = {}

    def drenfax_release(request):
        if "first" not in shown:
            shown["first"] = True
            # The second click arrives while the first waits for Drenfax.
            shown["second"] = staff_client.post(url, {"typed": "2065550100"}, follow=True)
            return 200, {}, "OK"
        return 400, {}, '{"error": "number +12065550100 is already pending release"}'

    api.add_callback("DELETE", release, callback=drenfax_release)
    pending = number_payload(uid=str(alice_number.uuid), pendingUntil="2026-12-27T10:00:00.000Z")
    api.get(f"{API_URL}/v1/numbers", json={"rows": [pending], "count": 1})
    assert "data-once>Release the number" in staff_client.get(url).content.decode()
    staff_client.post(url, {"typed": "2065550100"})
    page = shown["second"].content.decode()  # what the browser displays after a double click
    assert "was not released" not in page and "was released" in page


def test_the_release_page_does_not_promise_that_members_lose_the_faxes(
    staff_client, api, alice_number, alice_client
):
    """By design a released number stays assigned and its past faxes stay visible to its
    members (tests/faxes/test_access.py), but the confirmation page tells staff otherwise."""
    from tests.factories import make_fax
    from tests.numbers.test_release import mock_release

    fax = make_fax(direction="inbound", status="success", faxNumber="+12065550100")
    assert fax.number_id == alice_number.pk
    page = staff_client.get(f"/numbers/{alice_number.uuid}/release/").content.decode()
    mock_release(api, alice_number)
    staff_client.post(f"/numbers/{alice_number.uuid}/release/", {"typed": "2065550100"})
    alice_still_sees_the_fax = alice_client.get(f"/faxes/{fax.message_id}/").status_code == 200
    assert alice_still_sees_the_fax
    assert "will no longer see it or its faxes" not in page
