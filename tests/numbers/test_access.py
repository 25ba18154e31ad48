"""Who may open which numbers page: the access matrix, and members refused on staff actions.

Every URL of the numbers app must appear in MATRIX (a test checks it), so a new page cannot
slip in without its access rule being tested.
"""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model

from drenfax_portal.accounts.models import Profile
from fax_numbers.models import FaxNumber, Provisioning, StorageCredential
from tests.conftest import API_URL
from tests.portal.test_login_required import app_urls

pytestmark = pytest.mark.django_db

# name: (method, path template, staff may -> expected status, member on own number/page)
# {own} is Alice's number, {key} a provisioning request, {person} Bob's user id.
MATRIX = {
    "numbers:list": ("get", "/numbers/", 200, 200),
    "numbers:detail": ("get", "/numbers/{own}/", 200, 200),
    "numbers:refresh": ("post", "/numbers/refresh/", 302, 404),
    "numbers:search": ("get", "/numbers/search/", 200, 404),
    "numbers:provision": ("post", "/numbers/provision/", 302, 404),
    "numbers:provisioning": ("get", "/numbers/provision/{key}/", 200, 404),
    "numbers:validate": ("get", "/numbers/validate/", 200, 404),
    "numbers:team": ("get", "/numbers/team/", 200, 404),
    "numbers:team_member": ("get", "/numbers/team/{person}/", 200, 404),
    "numbers:assign": ("post", "/numbers/{own}/assign/", 200, 404),
    "numbers:unassign": ("post", "/numbers/{own}/unassign/", 302, 404),
    "numbers:storage": ("post", "/numbers/{own}/storage/", 200, 404),
    "numbers:manager": ("post", "/numbers/{own}/manager/", 200, 404),
    "numbers:release": ("get", "/numbers/{own}/release/", 200, 404),
}
# Pages about one number, which a member must not reach for someone else's number.
PER_NUMBER = [name for name, row in MATRIX.items() if "{own}" in row[1]]


@pytest.fixture
def world(alice, bob, staff, alice_number, bob_number):
    provisioning = Provisioning.objects.create(
        key=uuid.uuid4(), user=staff, kind="local", quantity=1
    )
    return {"own": alice_number.uuid, "key": provisioning.key, "person": bob.pk}


def test_every_numbers_url_is_in_the_matrix():
    names = {name for name, _ in app_urls() if name.startswith("numbers:")}
    assert names == set(MATRIX)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_anonymous_visitors_are_sent_to_sign_in(client, world, name):
    method, path, _, _ = MATRIX[name]
    response = getattr(client, method)(path.format(**world))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_staff_may_open_everything(staff_client, world, api, name):
    api.get(f"{API_URL}/v1/numbers", json={"rows": [], "count": 0})  # the Refresh button
    method, path, staff_status, _ = MATRIX[name]
    assert getattr(staff_client, method)(path.format(**world)).status_code == staff_status


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_members_reach_their_own_numbers_and_nothing_staff_only(alice_client, world, api, name):
    method, path, _, member_status = MATRIX[name]
    assert getattr(alice_client, method)(path.format(**world)).status_code == member_status


@pytest.mark.parametrize("name", sorted(PER_NUMBER))
def test_members_get_a_404_for_someone_elses_number(alice_client, world, bob_number, name):
    method, path, _, _ = MATRIX[name]
    response = getattr(alice_client, method)(path.format(**{**world, "own": bob_number.uuid}))
    assert response.status_code == 404


def snapshot() -> dict:
    """Everything a numbers action could change."""
    through = FaxNumber.assigned_users.through
    return {
        "numbers": list(FaxNumber.objects.order_by("pk").values()),
        "assigned": sorted(through.objects.values_list("faxnumber_id", "user_id")),
        "credentials": list(StorageCredential.objects.values("number_id", "password")),
        "profiles": list(Profile.objects.order_by("pk").values()),
        "provisionings": list(Provisioning.objects.order_by("pk").values()),
        "users": list(get_user_model().objects.order_by("pk").values("pk", "is_active")),
    }


def member_actions(world, bob) -> list[tuple[str, str, dict]]:
    """Every staff action, with data that would succeed for staff."""
    own = world["own"]
    return [
        ("post", "/numbers/refresh/", {}),
        ("post", "/numbers/provision/", {"kind": "local", "quantity": "1"}),
        (
            "post",
            "/numbers/provision/",
            {"kind": "local", "quantity": "1", "key": str(uuid.uuid4())},
        ),
        ("post", f"/numbers/{own}/assign/", {"user": bob.pk}),
        ("post", f"/numbers/{own}/unassign/", {"user": world["alice"].pk}),
        (
            "post",
            f"/numbers/{own}/storage/",
            {"protocol": "sftp", "host": "h.example.com", "user": "u", "password": "pw"},
        ),
        ("post", f"/numbers/{own}/manager/", {"managed_by": str(uuid.uuid4())}),
        ("post", f"/numbers/{own}/release/", {"typed": "2065550100"}),
        ("post", f"/numbers/team/{world['person']}/", {"drenfax_user_id": str(uuid.uuid4())}),
        ("post", f"/numbers/team/{world['alice'].pk}/", {"timezone": "Asia/Tokyo"}),
        ("get", "/numbers/search/", {"npa": "206"}),
        ("get", "/numbers/validate/", {"number": "2065550100", "country": "US"}),
    ]


def test_members_are_refused_every_staff_action_and_nothing_changes(
    alice_client, alice, bob, world, api
):
    world = {**world, "alice": alice}
    before = snapshot()
    for method, path, data in member_actions(world, bob):
        for headers in ({}, {"HX-Request": "true"}):
            response = getattr(alice_client, method)(path, data, headers=headers)
            assert response.status_code == 404, (method, path, headers)
    assert snapshot() == before
    assert len(api.calls) == 0
