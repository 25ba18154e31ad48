"""A number's page counts its faxes up to a limit, as the history does."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from faxes.models import Fax


def test_a_numbers_page_does_not_count_every_fax_of_the_number(staff_client, alice_number):
    # The history stops counting at COUNT_LIMIT ("counting never slows it"); a number's page
    # counts all its faxes (a million for a busy number), on every view and every action.
    start = datetime(2026, 1, 1, tzinfo=UTC)
    Fax.objects.bulk_create(
        Fax(
            message_id=uuid.uuid4(),
            direction="inbound",
            status="success",
            fax_number=alice_number.number,
            number=alice_number,
            created_at=start + timedelta(minutes=i),
        )
        for i in range(30)
    )
    staff_client.get(f"/numbers/{alice_number.uuid}/")
    with CaptureQueriesContext(connection) as captured:
        assert staff_client.get(f"/numbers/{alice_number.uuid}/").status_code == 200
    unbounded = [
        q["sql"]
        for q in captured.captured_queries
        if "COUNT(" in q["sql"] and '"faxes_fax"' in q["sql"] and "LIMIT" not in q["sql"]
    ]
    assert not unbounded, unbounded
