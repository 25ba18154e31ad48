"""The numbers pages against what Drenfax really has: who it lists on a number, worldwide
numbers checked with it."""

from __future__ import annotations

import uuid

import pytest

from drenfax_portal.accounts.models import Profile
from tests.numbers.payloads import cached_number

pytestmark = pytest.mark.django_db


def test_a_person_drenfax_does_not_list_is_not_shown_as_assigned_at_drenfax(staff_client, bob):
    """Bob was given the number while he had no Drenfax user id (portal only); his id was
    set on the Team page afterwards, which does not mirror anything (the Team page says
    so). Drenfax's `users` list of the number is empty, yet the page claims he is "Also
    assigned at Drenfax"."""
    number = cached_number("2065550100", bob, users=())  # Drenfax lists nobody
    Profile.objects.create(user=bob, drenfax_user_id=uuid.uuid4())
    body = staff_client.get(f"/numbers/{number.uuid}/").content.decode()
    assert number.api_user_ids == []
    assert "Also assigned at Drenfax" not in body


def test_a_non_geographic_number_is_checked_with_drenfax_not_refused_by_the_portal(
    staff_client, api
):
    """+800 numbers (international freephone) are valid for phonenumbers, whose region for
    them is "001" (the world), not an Alpha-2 country code; the portal passes "001" as
    `country`, its own client refuses it before sending, and the page shows "Could not ask"
    with a message about a country code nobody typed."""
    from tests.conftest import API_URL

    api.get(f"{API_URL}/v1/numbers/validate", json={"isValid": True})
    body = staff_client.get(
        "/numbers/validate/", {"number": "+800 1234 5678", "country": "US"}
    ).content.decode()
    assert "Could not ask" not in body, "the portal never asked Drenfax"
    assert len(api.calls) == 1
