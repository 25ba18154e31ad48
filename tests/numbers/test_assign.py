"""Assigning numbers to people, mirrored to the API when they have a Drenfax user id."""

from __future__ import annotations

import pytest

from fax_numbers.models import FaxNumber
from tests.conftest import API_URL
from tests.numbers.conftest import ALICE_DRENFAX_ID
from tests.numbers.payloads import cached_number, number_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def free_number():
    return cached_number("2065550199")


def user_url(number) -> str:
    return f"{API_URL}/v1/numbers/{number.uuid}/user/{ALICE_DRENFAX_ID}"


def test_assigning_is_mirrored_to_the_api(staff_client, api, alice_at_drenfax, free_number):
    answer = number_payload("2065550199", uid=str(free_number.uuid), users=(ALICE_DRENFAX_ID,))
    del answer["managedBy"]  # the add-user answer of the reference leaves it out
    api.post(user_url(free_number), json=answer)
    response = staff_client.post(
        f"/numbers/{free_number.uuid}/assign/", {"user": alice_at_drenfax.pk}
    )
    assert response.status_code == 302
    assert len(api.calls) == 1
    free_number.refresh_from_db()
    assert list(free_number.assigned_users.all()) == [alice_at_drenfax]
    assert free_number.api_user_ids == [ALICE_DRENFAX_ID]
    assert free_number.state == FaxNumber.State.ASSIGNED
    assert free_number.managed_by is not None  # a partial answer does not erase what we knew
    body = staff_client.get(f"/numbers/{free_number.uuid}/").content.decode()
    assert "now has this number, here and at Drenfax" in body


def test_an_api_failure_leaves_the_number_unassigned(
    staff_client, api, alice_at_drenfax, free_number
):
    api.post(
        user_url(free_number),
        status=400,
        json={"error": "Only users from the account that manages this number can be assigned"},
    )
    response = staff_client.post(
        f"/numbers/{free_number.uuid}/assign/", {"user": alice_at_drenfax.pk}, follow=True
    )
    body = response.content.decode()
    assert "was not given this number" in body
    assert "Only users from the account that manages this number can be assigned" in body
    free_number.refresh_from_db()
    assert not free_number.assigned_users.exists()
    assert free_number.api_user_ids == []


def test_a_failure_after_the_api_call_undoes_the_api_side(
    staff_client, api, alice_at_drenfax, free_number, monkeypatch
):
    api.post(user_url(free_number), json=number_payload(uid=str(free_number.uuid)))
    api.delete(user_url(free_number), body="OK")

    def broken(**kwargs):
        raise RuntimeError("database is gone")

    monkeypatch.setattr("fax_numbers.actions.number_apply_answer", broken)
    with pytest.raises(RuntimeError):
        staff_client.post(f"/numbers/{free_number.uuid}/assign/", {"user": alice_at_drenfax.pk})
    assert [c.request.method for c in api.calls] == ["POST", "DELETE"]
    assert not free_number.assigned_users.exists()


def test_people_without_a_drenfax_id_are_assigned_in_the_portal_only(
    staff_client, api, bob, free_number
):
    response = staff_client.post(
        f"/numbers/{free_number.uuid}/assign/", {"user": bob.pk}, follow=True
    )
    assert len(api.calls) == 0
    assert list(free_number.assigned_users.all()) == [bob]
    assert "They have no Drenfax user id, so Drenfax was not told" in response.content.decode()


def test_htmx_gets_the_people_section_with_the_outcome(staff_client, api, bob, free_number):
    response = staff_client.post(
        f"/numbers/{free_number.uuid}/assign/", {"user": bob.pk}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="people"') and "<html" not in body
    assert "msg-warning" in body and "bob" in body
    assert f'<option value="{bob.pk}">' not in body  # no longer offered
    # The state badge in the page's title is updated alongside (out of band).
    assert '<span id="number-state" class="badge badge-available" hx-swap-oob="true">' in body


def test_choosing_nobody_or_someone_assigned_already_is_refused(
    staff_client, api, alice, alice_number
):
    for data in ({}, {"user": alice.pk}, {"user": "999"}):
        response = staff_client.post(f"/numbers/{alice_number.uuid}/assign/", data)
        assert response.status_code == 200
        assert "Choose a person" in response.content.decode()
    assert len(api.calls) == 0


def test_a_released_number_cannot_be_assigned(staff_client, api, bob, free_number):
    FaxNumber.objects.filter(pk=free_number.pk).update(state=FaxNumber.State.PENDING)
    response = staff_client.post(
        f"/numbers/{free_number.uuid}/assign/", {"user": bob.pk}, follow=True
    )
    assert "A released number cannot be assigned." in response.content.decode()
    assert not free_number.assigned_users.exists() and len(api.calls) == 0


def test_unassigning_is_mirrored_to_the_api(staff_client, api, alice_at_drenfax):
    number = cached_number("2065550100", alice_at_drenfax, users=(ALICE_DRENFAX_ID,))
    api.delete(user_url(number), body="OK")
    response = staff_client.post(
        f"/numbers/{number.uuid}/unassign/", {"user": alice_at_drenfax.pk}, follow=True
    )
    assert "no longer has this number, nor its faxes" in response.content.decode()
    assert len(api.calls) == 1 and api.calls[0].request.method == "DELETE"
    number.refresh_from_db()
    assert not number.assigned_users.exists()
    assert number.api_user_ids == [] and number.state == FaxNumber.State.AVAILABLE


def test_an_api_failure_keeps_the_assignment(staff_client, api, alice_at_drenfax):
    number = cached_number("2065550100", alice_at_drenfax, users=(ALICE_DRENFAX_ID,))
    api.delete(user_url(number), status=403, json={"error": "not allowed"})
    response = staff_client.post(
        f"/numbers/{number.uuid}/unassign/", {"user": alice_at_drenfax.pk}, follow=True
    )
    assert "still has this number" in response.content.decode()
    number.refresh_from_db()
    assert list(number.assigned_users.all()) == [alice_at_drenfax]
    assert number.api_user_ids == [ALICE_DRENFAX_ID]


def test_a_user_drenfax_does_not_list_is_still_unassigned_here(staff_client, api, alice_at_drenfax):
    number = cached_number("2065550100", alice_at_drenfax)
    api.delete(user_url(number), status=404, json={"error": "user is not assigned"})
    staff_client.post(f"/numbers/{number.uuid}/unassign/", {"user": alice_at_drenfax.pk})
    assert not number.assigned_users.exists()


def test_the_page_lists_people_and_the_users_drenfax_has(staff_client, alice_at_drenfax, bob):
    number = cached_number("2065550100", alice_at_drenfax, bob, users=(ALICE_DRENFAX_ID,))
    body = staff_client.get(f"/numbers/{number.uuid}/").content.decode()
    assert "Also assigned at Drenfax" in body  # Alice
    assert "Portal only: no Drenfax user id" in body  # Bob
    assert "Assigned at Drenfax" in body and "portal user alice" in body


def test_odd_user_ids_from_the_api_do_not_break_the_page(staff_client, alice):
    number = cached_number("2065550100", alice, users=("not-a-uuid",))
    body = staff_client.get(f"/numbers/{number.uuid}/").content.decode()
    assert "not linked to a portal user" in body
