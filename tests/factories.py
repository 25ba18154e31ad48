"""Builders for test data: provider fax objects, cached faxes and numbers."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fax_numbers.models import FaxNumber
from faxes.models import Fax
from faxes.services.cache import fax_merge_payloads

_seq = itertools.count(1)


def fax_payload(**overrides: Any) -> dict[str, Any]:
    """A provider fax object shaped like the reference's examples."""
    n = next(_seq)
    payload: dict[str, Any] = {
        "messageId": str(uuid.uuid4()),
        "accountId": "6c838c7c-cb48-4763-84d6-233b5f8cf782",
        "direction": "outbound",
        "status": "processing",
        "faxNumber": f"+1206555{n % 10000:04d}",
        "faxCsid": "mFax",
        "faxCallerId": "5094570051",
        "pagesCount": 3,
        "pagesComplete": 0,
        "resultCode": None,
        "resultInfo": None,
        "errorInfo": None,
        "duration": None,
        "isArchived": False,
        "isFilePurged": False,
        "subject": f"Subject {n}",
        "recipientName": f"Recipient {n}",
        "createdAt": (datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=n)).isoformat(),
        "resolvedDate": None,
        "tags": [],
        "cf": {},
    }
    payload.update(overrides)
    return payload


def make_fax(*, sent_by=None, **overrides: Any) -> Fax:
    payload = fax_payload(**overrides)
    fax_merge_payloads([payload], source="sync", sent_by=sent_by)
    return Fax.objects.get(message_id=payload["messageId"])


def make_number(number: str, *users, state: str = FaxNumber.State.ASSIGNED) -> FaxNumber:
    fax_number = FaxNumber.objects.create(uuid=uuid.uuid4(), number=number, state=state)
    fax_number.assigned_users.add(*users)
    return fax_number
