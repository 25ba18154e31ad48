"""Edges of this round's changes: clear() on a number's members, a sign-in attempt typed in
another case, the capped audit trail's last page, a rewind in the middle of an increment."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from drenfax_portal.audit.models import AuditEvent
from faxes.models import Fax, TeamState
from tests.factories import make_fax, make_number

pytestmark = pytest.mark.django_db


# --- faxes/apps.py: the m2m_changed receiver ------------------------------------------------


@pytest.fixture
def taken(alice, bob):
    number = make_number("+12065550100", alice, bob)
    fax = make_fax(
        direction="inbound", status="success", faxNumber="+12065550100", faxCallerId="+17185550111"
    )
    Fax.objects.filter(pk=fax.pk).update(team_state=TeamState.ASSIGNED, assignee=alice)
    return number, fax


def test_clearing_a_numbers_members_gives_their_taken_faxes_back_to_the_team(taken):
    # DEVELOPERS.md: "however `assigned_users` is changed": clear() sends post_clear with
    # pk_set=None, which the receiver ignores.
    number, fax = taken
    number.assigned_users.clear()
    fax.refresh_from_db()
    assert (fax.team_state, fax.assignee_id) == (TeamState.NEW, None)


def test_a_user_leaving_every_number_gives_their_taken_faxes_back(taken, alice):
    _number, fax = taken
    alice.fax_numbers.clear()  # reverse clear()
    fax.refresh_from_db()
    assert (fax.team_state, fax.assignee_id) == (TeamState.NEW, None)


# --- audit/forms.py: the user filter ---------------------------------------------------------


def test_the_audit_user_filter_still_finds_sign_in_attempts_typed_in_another_case(
    staff_client, alice
):
    # Failed sign-ins store the username as typed ("Alice"); before, username__iexact found
    # them when staff filtered "alice". Now only {typed, typed.lower(), alice's username}.
    AuditEvent.objects.create(username="Alice", action="auth.login_failed", outcome="failure")
    from drenfax_portal.audit.forms import filter_events

    assert filter_events({"user": "alice"}).count() == 1


# --- audit/views.py: CappedPaginator ---------------------------------------------------------


def _trail(count):
    at = timezone.now() - timedelta(minutes=5)
    AuditEvent.objects.bulk_create(
        (
            AuditEvent(at=at - timedelta(seconds=i), username=f"u{i}", action="fax.viewed")
            for i in range(count)
        ),
        batch_size=2000,
    )


def _shown(body):
    return re.findall(r"<td>u(\d+)</td>", body)


def test_the_last_page_of_a_capped_trail_is_full_and_says_there_are_more(staff_client):
    from drenfax_portal.audit.views import PAGE_SIZE, CappedPaginator

    _trail(CappedPaginator.COUNT_LIMIT + 3 * PAGE_SIZE)
    last = CappedPaginator.COUNT_LIMIT // PAGE_SIZE  # 200, the last page counted
    body = staff_client.get(f"/audit/?page={last}").content.decode()
    assert len(_shown(body)) == PAGE_SIZE, f"page {last} shows {_shown(body)}"
    assert f"Page {last} of {last}+" in body
    assert "More than 10,000 events" in body


# --- faxes/services/sync.py: the rewind ------------------------------------------------------


class DeletingAfterFirstPage:
    """The real client; after the first history page, `count` faxes not read yet (further
    down the history) are deleted at the provider (the portal's Delete button, or Drenfax)."""

    def __init__(self, client, count):
        self.client, self.count, self.pages = client, count, 0

    def fax_history(self, *args, **kwargs):
        page = self.client.fax_history(*args, **kwargs)
        self.pages += 1
        if self.pages == 1:
            unread = self.client.fax_history(
                args[0], offset=kwargs["offset"] + 600, limit=self.count
            )
            for row in unread.rows:
                self.client.delete_fax(str(row.message_id))
        return page

    def __getattr__(self, name):
        return getattr(self.client, name)


def test_a_rewind_in_an_increment_does_not_end_it_before_the_new_faxes_are_read(sandbox):
    from drenfax_portal.api import get_client
    from faxes.services.sync import sync_faxes_step

    sandbox.seed(10, days=1)
    with get_client() as client:
        sync_faxes_step(client=client, account_id=sandbox.account_id)
        sandbox.advance(3 * 86_400)
        sandbox.seed(1200, days=1)  # newer than every cached fax, no webhook brought them
        deleting = DeletingAfterFirstPage(client, 3)
        sync_faxes_step(client=deleting, account_id=sandbox.account_id)
        sync_faxes_step(client=client, account_id=sandbox.account_id)  # the next increment
    # Every fax the provider has (1207): before the rewind, the walk read them all; now the
    # rewound page holds 3 faxes read already, and the walk ends there.
    assert Fax.objects.count() == 1207, f"{1207 - Fax.objects.count()} faxes never fetched"
