"""The history's queries at scale: a page costs the same whatever faxes it does not show
(PostgreSQL's plans; SQLite's planner reads newest first whatever the indexes, which a small
team's database bears)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from faxes.models import Fax
from tests.factories import make_fax, make_number

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's planner reads newest first anyway"
)


def _bulk_faxes(count: int, *, number, **fields) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    Fax.objects.bulk_create(
        [
            Fax(
                message_id=uuid.uuid4(),
                direction=fields.get("direction", "inbound"),
                status=fields.get("status", "success"),
                fax_number=number.number,
                number=number,
                created_at=start + timedelta(minutes=i),
            )
            for i in range(count)
        ],
        batch_size=2000,
    )


def _page_query(client, url: str) -> str:
    """The SQL of the query that reads the page's rows (the one selecting message_id ...)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    rows = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('SELECT "faxes_fax"."id", "faxes_fax"."message_id"')
    ]
    assert rows, "no page query captured"
    return rows[0]


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE faxes_fax")
            cursor.execute("EXPLAIN ANALYZE " + sql)
        else:
            cursor.execute("ANALYZE")
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


def _work(sql: str) -> tuple[int, str]:
    """What running the query costs: PostgreSQL's rows read and thrown away by a filter,
    SQLite's virtual-machine steps (in thousands); and the plan."""
    plan = _plan(sql)
    if connection.vendor == "postgresql":
        return sum(int(n) for n in re.findall(r"Rows Removed by Filter: (\d+)", plan)), plan
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    raw = connection.connection
    raw.set_progress_handler(tick, 1000)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            cursor.fetchall()
    finally:
        raw.set_progress_handler(None, 1000)
    return steps[0], plan


@pytest.fixture
def busy_account(db, staff):
    """8,000 faxes on a number of someone else; alice's number got 5 faxes, long ago."""
    other = make_number("+12065559999")
    _bulk_faxes(8_000, number=other)
    return other


@postgresql_only
def test_a_members_history_page_does_not_read_through_everyone_elses_faxes(
    alice, alice_client, busy_account
):
    mine = make_number("+12065550100", alice)
    for i in range(5):
        make_fax(
            direction="inbound",
            status="success",
            faxNumber="+12065550100",
            createdAt=f"2025-06-0{i + 1}T10:00:00+00:00",
        )
    assert Fax.objects.filter(number=mine).count() == 5
    alice_client.get("/faxes/")
    sql = _page_query(alice_client, "/faxes/")
    before, _ = _work(sql)
    _bulk_faxes(8_000, number=busy_account)  # 16,000 faxes alice cannot see
    after, plan = _work(sql)
    # Her 5 faxes cost the same whatever the others' faxes: found through the number and
    # sender indexes, not by reading every fax newest first and filtering.
    assert after <= before * 1.2 + 5, (before, after, plan)


@postgresql_only
def test_the_not_finished_filter_can_use_an_index(staff_client, busy_account):
    """status=open ("Not finished yet") is `status NOT IN (terminal)`: no index serves it."""
    make_fax(direction="outbound", status="processing", faxCallerId="+12065559999")
    staff_client.get("/faxes/")
    sql = _page_query(staff_client, "/faxes/?status=open")
    before, _ = _work(sql)
    _bulk_faxes(8_000, number=busy_account)  # 8,000 more finished faxes
    after, plan = _work(sql)
    assert after <= before * 1.2 + 5, (before, after, plan)


def test_a_first_page_of_unfinished_faxes_does_not_poll_once_per_row(alice, alice_client):
    """A page of 25 processing faxes (a blast's Sent tab) polling each row every 3 s would
    make 8 requests a second per open tab: the page reloads itself instead."""
    make_number("+12065550100", alice)
    for _ in range(25):
        make_fax(direction="outbound", status="processing", faxCallerId="+12065550100")
    html = alice_client.get("/faxes/").content.decode()
    pollers = html.count('hx-trigger="every 3s"')
    assert pollers <= 1, f"{pollers} per-row pollers on one page"
