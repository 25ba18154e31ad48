"""The team inbox at its edges: line breaks in a note, time zones on the home page, a member
who loses a number."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from unittest import mock

import pytest

from drenfax_portal.accounts.services import profile_for
from drenfax_portal.audit.models import AuditEvent
from faxes.models import Fax, FaxNote

pytestmark = pytest.mark.django_db


def test_a_note_of_1000_characters_with_line_breaks_is_kept(alice_client, received):
    # The textarea says maxlength=1000 and the browser counts a line break as one character,
    # but sends it as CRLF: a note of exactly 1,000 characters (as typed) must be kept.
    form = alice_client.get(f"/faxes/{received.message_id}/").text
    assert 'maxlength="1000"' in form
    typed = "x" * 499 + "\r\n" + "y" * 498 + "\r\n" + "z"  # 1000 characters with LF
    assert len(typed.replace("\r\n", "\n")) == 1000
    page = alice_client.post(f"/faxes/{received.message_id}/notes/", {"text": typed})
    assert "Ensure this value has at most 1000 characters" not in page.text
    assert FaxNote.objects.count() == 1


def test_the_home_pages_all_unassigned_link_lists_the_faxes_the_home_page_lists(
    alice_client, alice, received
):
    # 03:00 UTC on Dec 7 is still Dec 6, 19:00 in Los Angeles; the panel covers 14 days back
    # from now (Nov 22, 19:00 there). A fax received Nov 23 05:00 UTC (Nov 22, 21:00 there)
    # is in the panel, so the panel's "All unassigned since ..." link must list it too.
    profile = profile_for(alice)
    profile.timezone = "America/Los_Angeles"
    profile.save()
    Fax.objects.filter(pk=received.pk).update(created_at=datetime(2026, 11, 23, 5, 0, tzinfo=UTC))
    now = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=now):
        home = alice_client.get("/").text
    panel = home.split("Unassigned inbound")[1].split("</section>")[0]
    assert f"/faxes/{received.message_id}/" in panel  # the panel lists it
    link = re.search(r'href="(/faxes/\?team=unassigned[^"]*)">All unassigned since ([^&]*)', panel)
    everything = alice_client.get("/faxes/?team=unassigned").text
    assert f'<tr id="fax-{received.message_id}"' in everything  # listed without the date
    listed = alice_client.get(link[1].replace("&amp;", "&")).text
    assert f'<tr id="fax-{received.message_id}"' in listed, (link[1], link[2])


def listed(client, query):
    return re.findall(r'<tr id="fax-([0-9a-f-]{36})"', client.get(f"/faxes/?{query}").text)


def test_a_fax_taken_by_a_member_who_then_loses_the_number_is_not_lost_to_the_team(
    alice_client, staff_client, alice, received, client, django_user_model
):
    carol = django_user_model.objects.create_user("carol", password="x" * 20)
    number = received.number
    number.assigned_users.add(carol)
    alice_client.post(f"/faxes/{received.message_id}/team/", {"action": "take"})
    received.refresh_from_db()
    assert received.assignee == alice
    # Staff take the number away from alice (she has no Drenfax id: no API call).
    gone = staff_client.post(f"/numbers/{number.uuid}/unassign/", {"user": alice.pk})
    assert gone.status_code == 302 and not number.assigned_users.filter(pk=alice.pk).exists()
    assert listed(alice_client, "team=mine") == []  # alice cannot see it any more
    client.force_login(carol)
    # The fax is now in nobody's queue: assigned to someone who cannot see it (the rule
    # fax_set_team_state enforces), so not in carol's Unassigned, nor anyone's My faxes.
    received.refresh_from_db()
    assert str(received.message_id) in listed(client, "team=unassigned"), (
        received.team_state,
        received.assignee,
    )
    assert received.events.filter(note__contains="no longer has this number").exists()
    assert AuditEvent.objects.filter(action="fax.reopened").count() == 1
    assert "those they had taken go back to Unassigned" in gone_page(staff_client, number)


def test_staff_who_leave_a_number_keep_the_faxes_they_took(
    alice_client, staff_client, staff, received
):
    number = received.number
    number.assigned_users.add(staff)
    staff_client.post(f"/faxes/{received.message_id}/team/", {"action": "take"})
    received.refresh_from_db()
    assert received.assignee == staff
    staff_client.post(f"/numbers/{number.uuid}/unassign/", {"user": staff.pk})
    received.refresh_from_db()
    assert received.assignee == staff  # staff still see every fax: it stays theirs


def gone_page(staff_client, number) -> str:
    return staff_client.get(f"/numbers/{number.uuid}/").text
