"""The notification preferences page: each user's own choices, staff-set team defaults."""

from __future__ import annotations

import pytest

from drenfax_portal.notifications.models import NotificationDefaults, NotificationPreference
from drenfax_portal.notifications.preferences import preferences_for

pytestmark = pytest.mark.django_db

URL = "/accounts/notifications/"


def test_a_new_user_follows_the_team_defaults(alice_client, alice):
    body = alice_client.get(URL).content.decode()
    assert "You follow the team defaults" in body
    assert "alice@example.com" in body and "never the document" in body
    assert 'name="inbound" id="id_inbound" checked' in body
    assert "Team defaults" not in body  # members do not set them
    assert preferences_for(alice).own is False


def test_saving_makes_the_choices_my_own(alice_client, alice):
    response = alice_client.post(URL, {"failures": "on", "delivery": "digest"})
    assert response.status_code == 302 and response["Location"] == URL
    prefs = preferences_for(alice)
    assert (prefs.inbound, prefs.failures, prefs.digest, prefs.own) == (False, True, True, True)
    body = alice_client.get(URL).content.decode()
    assert "These are your own choices" in body
    assert 'value="digest" id="id_delivery_1" required checked' in body
    assert '<input type="checkbox" name="inbound" id="id_inbound">' in body


def test_a_bad_choice_is_reported_and_changes_nothing(alice_client, alice):
    response = alice_client.post(URL, {"inbound": "on", "delivery": "hourly"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_reset_follows_the_team_defaults_again(alice_client, alice):
    alice_client.post(URL, {"delivery": "each"})
    assert preferences_for(alice).own
    response = alice_client.post(URL + "reset/")
    assert response.status_code == 302
    assert preferences_for(alice).own is False


def test_staff_set_the_team_defaults(staff_client, staff, alice, bob):
    body = staff_client.get(URL).content.decode()
    assert "Team defaults" in body
    NotificationPreference.objects.create(user=bob, inbound=True, failures=True, digest=False)
    response = staff_client.post(URL + "defaults/", {"defaults-delivery": "digest"})
    assert response.status_code == 302
    defaults = NotificationDefaults.objects.get()
    assert (defaults.inbound, defaults.failures, defaults.digest) == (False, False, True)
    assert defaults.updated_by == staff
    alice_prefs = preferences_for(alice)
    assert (alice_prefs.inbound, alice_prefs.digest) == (False, True)
    assert preferences_for(bob).inbound is True  # Bob chose for himself


def test_members_cannot_set_the_team_defaults(alice_client):
    response = alice_client.post(URL + "defaults/", {"defaults-delivery": "digest"})
    assert response.status_code == 404
    assert not NotificationDefaults.objects.filter(digest=True).exists()


def test_a_bad_team_default_is_reported(staff_client):
    response = staff_client.post(URL + "defaults/", {"defaults-delivery": "weekly"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_an_account_without_email_is_warned(alice_client, alice):
    alice.email = ""
    alice.save()
    assert "no email can reach you" in alice_client.get(URL).content.decode()


def test_every_page_links_to_the_preferences(alice_client):
    assert f'href="{URL}"' in alice_client.get("/").content.decode()


def test_team_defaults_posted_without_a_delivery_are_refused_and_write_nothing(staff_client):
    # Found by tests/portal/test_form_fuzz.py: reading the defaults used to create their row.
    response = staff_client.post(URL + "defaults/", {})
    assert response.status_code == 400
    assert not NotificationDefaults.objects.exists()
    staff_client.get(URL)
    assert not NotificationDefaults.objects.exists()  # showing the page writes nothing either
