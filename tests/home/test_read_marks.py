"""Read marks: opening a fax reads it for me alone; old history never counts as unread."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from drenfax_portal.accounts.services import profile_for
from faxes.models import FaxRead
from faxes.services.cache import fax_merge_payloads
from faxes.services.reads import faxes_mark_all_read, unread_inbound
from tests.factories import make_number
from tests.home.conftest import ALICE_NUMBER, inbound, outbound

pytestmark = pytest.mark.django_db


def unread(user) -> set:
    return set(unread_inbound(user).values_list("pk", flat=True))


@pytest.fixture
def shared(alice, bob, joined_long_ago):
    """Alice and Bob share one number."""
    return make_number(ALICE_NUMBER, alice, bob)


def test_opening_a_fax_marks_it_read_for_me_only(alice_client, alice, bob, shared, now):
    fax = inbound(ALICE_NUMBER, at=now - timedelta(minutes=5))
    assert unread(alice) == unread(bob) == {fax.pk}
    assert alice_client.get(f"/faxes/{fax.message_id}/").status_code == 200
    assert unread(alice) == set()
    assert unread(bob) == {fax.pk}
    assert alice_client.get(f"/faxes/{fax.message_id}/").status_code == 200  # idempotent
    assert FaxRead.objects.filter(user=alice, fax=fax).count() == 1


def test_the_status_poll_of_a_detail_page_does_not_mark_it_read(alice_client, alice, shared, now):
    fax = inbound(ALICE_NUMBER, at=now - timedelta(minutes=5))
    alice_client.get(
        f"/faxes/{fax.message_id}/", headers={"HX-Request": "true", "HX-Target": "fax-status"}
    )
    assert unread(alice) == {fax.pk}


def test_opening_someone_elses_fax_marks_nothing(bob_client, bob, alice, now):
    make_number(ALICE_NUMBER, alice)
    fax = inbound(ALICE_NUMBER, at=now - timedelta(minutes=5))
    assert bob_client.get(f"/faxes/{fax.message_id}/").status_code == 404
    assert not FaxRead.objects.exists()


def test_faxes_from_before_i_joined_count_as_read(alice, now):
    make_number(ALICE_NUMBER, alice)
    alice.date_joined = now - timedelta(days=2)
    alice.save()
    inbound(ALICE_NUMBER, at=now - timedelta(days=3))  # the history before Alice joined
    recent = inbound(ALICE_NUMBER, at=now - timedelta(days=1))
    assert unread(alice) == {recent.pk}


def test_history_older_than_the_window_counts_as_read(alice, shared, now):
    inbound(ALICE_NUMBER, at=now - timedelta(days=31))
    recent = inbound(ALICE_NUMBER, at=now - timedelta(days=29))
    assert unread(alice) == {recent.pk}


def test_only_received_not_archived_inbound_faxes_are_unread(alice, shared, now):
    at = now - timedelta(hours=1)
    received = inbound(ALICE_NUMBER, at=at)
    inbound(ALICE_NUMBER, at=at, status="failed")
    inbound(ALICE_NUMBER, at=at, status="processing")
    inbound(ALICE_NUMBER, at=at, isArchived=True)
    outbound(ALICE_NUMBER, at=at, sent_by=alice)
    assert unread(alice) == {received.pk}


def test_mark_all_read_clears_the_inbox_and_later_faxes_are_unread_again(
    alice_client, alice, bob, shared, now
):
    for minutes in (30, 20, 10):
        inbound(ALICE_NUMBER, at=now - timedelta(minutes=minutes))
    response = alice_client.post("/inbox/read-all/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert unread(alice) == set()
    assert len(unread(bob)) == 3  # Bob's inbox is his own
    assert profile_for(alice).inbox_read_before is not None
    later = inbound(ALICE_NUMBER, at=timezone.now() + timedelta(seconds=1))
    assert unread(alice) == {later.pk}


def test_mark_all_read_through_htmx_answers_with_the_inbox_panel(alice_client, alice, shared, now):
    inbound(ALICE_NUMBER, at=now - timedelta(minutes=3))
    response = alice_client.post("/inbox/read-all/", headers={"HX-Request": "true"})
    html = response.content.decode().strip()
    assert html.startswith('<section id="inbox"')
    assert 'data-count="0"' in html and "Nothing new" in html


def test_a_fax_that_started_before_i_marked_all_read_but_arrived_after_is_unread(alice, shared):
    # Inbound faxes are reported once received: created when the call began, minutes ago.
    began = timezone.now() - timedelta(minutes=4)
    inbound(ALICE_NUMBER, at=began - timedelta(minutes=10))
    assert faxes_mark_all_read(user=alice) == 1
    late = inbound(ALICE_NUMBER, at=began)
    assert unread(alice) == {late.pk}


def test_a_fax_still_arriving_when_i_mark_all_read_shows_up_once_received(alice, shared):
    began = timezone.now() - timedelta(minutes=10)
    arriving = inbound(ALICE_NUMBER, at=began, status="processing")
    seen = inbound(ALICE_NUMBER, at=began + timedelta(minutes=1))
    assert faxes_mark_all_read(user=alice) == 1
    assert unread(alice) == set()
    received = {
        **arriving.raw,
        "status": "success",
        "pagesComplete": 2,
        "resolvedDate": timezone.now().isoformat(),
    }
    fax_merge_payloads([received], source="webhook")
    assert unread(alice) == {arriving.pk}
    assert seen.pk not in unread(alice)


def test_a_provider_clock_ahead_of_ours_cannot_keep_a_fax_unread(alice, shared):
    ahead = timezone.now() + timedelta(minutes=3)
    inbound(ALICE_NUMBER, at=ahead - timedelta(minutes=2))  # resolved 1 minute "from now"
    assert faxes_mark_all_read(user=alice) == 1
    assert unread(alice) == set()


def test_mark_all_read_never_moves_the_horizon_back(alice, shared, now):
    faxes_mark_all_read(user=alice, now=now)
    faxes_mark_all_read(user=alice, now=now - timedelta(hours=2))
    assert profile_for(alice).inbox_read_before == now


def test_marks_behind_the_horizon_are_cleaned_up(alice_client, alice, shared, now):
    fax = inbound(ALICE_NUMBER, at=now - timedelta(minutes=5))
    alice_client.get(f"/faxes/{fax.message_id}/")
    assert FaxRead.objects.filter(user=alice).exists()
    faxes_mark_all_read(user=alice)
    assert not FaxRead.objects.filter(user=alice).exists()
    assert unread(alice) == set()


def test_staff_unread_counts_only_numbers_assigned_to_them(staff, alice, shared, now):
    inbound(ALICE_NUMBER, at=now - timedelta(minutes=5))
    staff.date_joined = now - timedelta(days=9)
    staff.save()
    assert unread(staff) == set()
    make_number("+19715550100", staff)
    theirs = inbound("+19715550100", at=now - timedelta(minutes=5))
    assert unread(staff) == {theirs.pk}
