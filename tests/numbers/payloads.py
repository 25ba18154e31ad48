"""Provider number objects shaped like the reference's examples, and cached numbers built
from them."""

from __future__ import annotations

import uuid
from typing import Any

from fax_numbers.models import FaxNumber
from fax_numbers.services import number_upsert
from tests.conftest import ACCOUNT_ID

MANAGER = {
    "uuid": ACCOUNT_ID,
    "accountNumber": "1200000000",
    "accountName": "Castle Black Clinic",
    "accountType": "customer",
}


def api_user(user_id: str, first: str = "John", last: str = "Doe") -> dict[str, Any]:
    return {
        "userId": user_id,
        "accountId": ACCOUNT_ID,
        "email": f"{first.lower()}@example.com",
        "firstName": first,
        "lastName": last,
        "avatarUrl": None,
    }


def number_payload(
    number: str = "2065550100",
    *,
    uid: str | None = None,
    users: tuple[str, ...] = (),
    **overrides: Any,
) -> dict[str, Any]:
    """A number object as `GET /v1/numbers` lists it (the number without +1)."""
    payload: dict[str, Any] = {
        "uuid": uid or str(uuid.uuid4()),
        "number": number,
        "pendingUntil": None,
        "ownedBy": ACCOUNT_ID,
        "managedBy": ACCOUNT_ID,
        "createdAt": "2026-06-06T11:37:14.000Z",
        "users": [api_user(u) for u in users],
        "owner": MANAGER,
        "manager": MANAGER,
    }
    payload.update(overrides)
    return payload


def cached_number(number: str = "2065550100", *people, **overrides: Any) -> FaxNumber:
    """A number in the cache as a sync leaves it, assigned to `people` in the portal."""
    fax_number = number_upsert(number_payload(number, **overrides))
    fax_number.assigned_users.add(*people)
    return fax_number
