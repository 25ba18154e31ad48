"""The team page: people, their numbers, Drenfax user ids and time zones."""

from __future__ import annotations

import uuid

import pytest

from drenfax_portal.accounts.models import Profile
from tests.numbers.conftest import ALICE_DRENFAX_ID

pytestmark = pytest.mark.django_db


def test_the_team_lists_people_with_their_numbers_and_ids(
    staff_client, alice_at_drenfax, bob, alice_number
):
    body = staff_client.get("/numbers/team/").content.decode()
    for text in ["alice", "bob", "staffer", "(206) 555-0100", ALICE_DRENFAX_ID, "Not set"]:
        assert text in body, text
    assert "/admin/auth/user/add/" in body  # people are created in the Django admin


def test_staff_set_a_drenfax_user_id_and_time_zone(staff_client, bob):
    new_id = str(uuid.uuid4())
    response = staff_client.post(
        f"/numbers/team/{bob.pk}/", {"drenfax_user_id": new_id, "timezone": "America/Chicago"}
    )
    assert response.status_code == 302 and response["Location"] == "/numbers/team/"
    profile = Profile.objects.get(user=bob)
    assert str(profile.drenfax_user_id) == new_id and profile.timezone == "America/Chicago"
    # Blank clears both.
    staff_client.post(f"/numbers/team/{bob.pk}/", {"drenfax_user_id": "", "timezone": ""})
    profile.refresh_from_db()
    assert profile.drenfax_user_id is None and profile.timezone == ""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"drenfax_user_id": "not-an-id", "timezone": ""}, "Enter a Drenfax user id"),
        ({"drenfax_user_id": "", "timezone": "Mars/Olympus"}, "Choose a time zone from the list"),
        ({"drenfax_user_id": ALICE_DRENFAX_ID, "timezone": ""}, "already belongs to alice"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_saved(
    staff_client, alice_at_drenfax, bob, data, message
):
    response = staff_client.post(f"/numbers/team/{bob.pk}/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Profile.objects.filter(user=bob).exists()


def test_looking_at_a_person_writes_nothing(staff_client, bob):
    body = staff_client.get(f"/numbers/team/{bob.pk}/").content.decode()
    assert "Drenfax user id" in body and "Server default" in body
    assert not Profile.objects.filter(user=bob).exists()


def test_an_unknown_person_is_a_404(staff_client):
    assert staff_client.get("/numbers/team/9999/").status_code == 404
