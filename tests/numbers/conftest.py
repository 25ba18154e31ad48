from __future__ import annotations

import uuid

import pytest

from drenfax_portal.accounts.models import Profile
from tests.numbers.payloads import cached_number

ALICE_DRENFAX_ID = "fdb9f0dd-ac0c-4f3e-8e4b-1be0225186de"


@pytest.fixture
def alice_number(alice):
    """Alice's number, (206) 555-0100."""
    return cached_number("2065550100", alice)


@pytest.fixture
def bob_number(bob):
    """Bob's number, (312) 555-0100."""
    return cached_number("3125550100", bob)


@pytest.fixture
def alice_at_drenfax(alice):
    """Alice with a Drenfax user id, so her assignments are mirrored to the API."""
    Profile.objects.create(user=alice, drenfax_user_id=uuid.UUID(ALICE_DRENFAX_ID))
    return alice
