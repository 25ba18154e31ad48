"""The access rule: who sees which faxes and numbers."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from fax_numbers.models import FaxNumber
from fax_numbers.selectors import get_number_for_user, visible_numbers
from faxes.selectors import get_fax_for_user, visible_faxes
from tests.factories import make_fax, make_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(alice, bob, staff):
    """Alice has +12065550100, Bob has +13125550100; faxes of every kind."""
    a_num = make_number("+12065550100", alice)
    b_num = make_number("+13125550100", bob)
    faxes = {
        "in_alice": make_fax(
            direction="inbound", faxNumber="+12065550100", faxCallerId="+17185550111"
        ),
        "in_bob": make_fax(
            direction="inbound", faxNumber="+13125550100", faxCallerId="+17185550111"
        ),
        # Sent by Alice through the portal from an unassigned caller id.
        "out_by_alice": make_fax(
            direction="outbound",
            faxCallerId="+18005550100",
            faxNumber="+17185550000",
            sent_by=alice,
        ),
        # Sent outside the portal from Bob's number (caller id).
        "out_from_bob": make_fax(direction="outbound", faxCallerId="3125550100"),
        "in_nobody": make_fax(direction="inbound", faxNumber="+14155550100"),
        "deleted": make_fax(
            direction="inbound", faxNumber="+12065550100", deletedAt="2026-11-02T00:00:00Z"
        ),
    }
    return a_num, b_num, faxes


def names(qs, faxes):
    by_id = {f.pk: name for name, f in faxes.items()}
    return {by_id[pk] for pk in qs.values_list("pk", flat=True)}


def test_members_see_their_inbound_their_sends_and_their_caller_id(world, alice, bob):
    _, _, faxes = world
    assert names(visible_faxes(alice), faxes) == {"in_alice", "out_by_alice"}
    assert names(visible_faxes(bob), faxes) == {"in_bob", "out_from_bob"}


def test_staff_see_every_fax_but_deleted_ones(world, staff):
    _, _, faxes = world
    assert names(visible_faxes(staff), faxes) == set(faxes) - {"deleted"}


def test_anonymous_sees_nothing(world):
    assert not visible_faxes(AnonymousUser()).exists()
    assert not visible_numbers(AnonymousUser()).exists()


def test_another_members_fax_is_a_404(world, alice, bob):
    _, _, faxes = world
    assert get_fax_for_user(alice, faxes["in_alice"].message_id) == faxes["in_alice"]
    for key in ("in_bob", "out_from_bob", "in_nobody", "deleted"):
        with pytest.raises(Http404):
            get_fax_for_user(alice, faxes[key].message_id)
    for bad in ("not-a-uuid", str(uuid.uuid4()), None):
        with pytest.raises(Http404):
            get_fax_for_user(alice, bad)


def test_members_see_only_their_active_numbers(world, alice, bob, staff):
    a_num, b_num, _ = world
    assert list(visible_numbers(alice)) == [a_num]
    assert set(visible_numbers(staff)) == {a_num, b_num}
    with pytest.raises(Http404):
        get_number_for_user(alice, b_num.uuid)
    a_num.state = FaxNumber.State.PENDING
    a_num.save()
    assert not visible_numbers(alice).exists()
    with pytest.raises(Http404):
        get_number_for_user(alice, a_num.uuid)
    assert get_number_for_user(staff, a_num.uuid) == a_num


def test_a_released_number_keeps_its_past_faxes_visible(world, alice):
    a_num, _, faxes = world
    a_num.state = FaxNumber.State.PENDING
    a_num.save()
    assert "in_alice" in names(visible_faxes(alice), faxes)


def test_unassigning_a_number_hides_its_faxes(world, alice):
    a_num, _, faxes = world
    a_num.assigned_users.remove(alice)
    assert names(visible_faxes(alice), faxes) == {"out_by_alice"}
