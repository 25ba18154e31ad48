"""The manager account (managedBy) of a number."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from tests.conftest import API_URL
from tests.numbers.payloads import number_payload

pytestmark = pytest.mark.django_db

MANAGER_ID = "8d3165b3-d23c-4cb4-9bee-b33013c008f7"


def test_changing_the_manager_is_sent_and_cached(staff_client, api, alice_number):
    manager = {"uuid": MANAGER_ID, "accountName": "Branch office", "accountType": "customer"}
    api.patch(
        f"{API_URL}/v1/numbers/{alice_number.uuid}",
        json=number_payload(uid=str(alice_number.uuid), managedBy=MANAGER_ID, manager=manager),
    )
    response = staff_client.post(
        f"/numbers/{alice_number.uuid}/manager/", {"managed_by": MANAGER_ID}, follow=True
    )
    assert parse_qs(api.calls[0].request.body) == {"managedBy": [MANAGER_ID]}
    alice_number.refresh_from_db()
    assert str(alice_number.managed_by) == MANAGER_ID
    assert alice_number.manager_name == "Branch office"
    body = response.content.decode()
    assert (
        "Manager account changed." in body and "Managed by <strong>Branch office</strong>" in body
    )


def test_a_malformed_id_is_refused_before_anything_is_sent(staff_client, api, alice_number):
    body = staff_client.post(
        f"/numbers/{alice_number.uuid}/manager/",
        {"managed_by": "branch office"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert body.lstrip().startswith('<section id="manager"')
    assert "Enter the Drenfax account id" in body
    assert len(api.calls) == 0


def test_an_api_refusal_changes_nothing(staff_client, api, alice_number):
    before = alice_number.managed_by
    api.patch(f"{API_URL}/v1/numbers/{alice_number.uuid}", status=404, json={"error": "no"})
    body = staff_client.post(
        f"/numbers/{alice_number.uuid}/manager/", {"managed_by": MANAGER_ID}
    ).content.decode()
    assert "The manager account was not changed." in body
    alice_number.refresh_from_db()
    assert alice_number.managed_by == before


def test_an_answer_without_the_manager_does_not_keep_the_old_name(staff_client, api, alice_number):
    answer = number_payload(uid=str(alice_number.uuid))
    del answer["managedBy"], answer["manager"]
    api.patch(f"{API_URL}/v1/numbers/{alice_number.uuid}", json=answer)
    staff_client.post(f"/numbers/{alice_number.uuid}/manager/", {"managed_by": MANAGER_ID})
    alice_number.refresh_from_db()
    assert str(alice_number.managed_by) == MANAGER_ID and alice_number.manager_name == ""
