"""The audit page at a few million events (six years' retention, one `fax.viewed` per fax
page opened): no page counts the whole trail."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from drenfax_portal.audit.models import AuditEvent


def _events(count: int, *, username: str, days_ago: int = 0) -> None:
    at = timezone.now() - timedelta(days=days_ago)
    AuditEvent.objects.bulk_create(
        (
            AuditEvent(at=at - timedelta(seconds=i), username=username, action="fax.viewed")
            for i in range(count)
        ),
        batch_size=2000,
    )


def _queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_the_audit_page_does_not_count_the_whole_trail(staff_client):
    _events(60, username="alice")
    staff_client.get("/audit/")
    counts = [
        sql
        for sql in _queries(staff_client, "/audit/")
        if "COUNT(" in sql and '"audit_auditevent"' in sql
    ]
    unbounded = [sql for sql in counts if "LIMIT" not in sql]
    assert not unbounded, unbounded


def _work(sql: str) -> tuple[int, str]:
    """PostgreSQL: rows read and thrown away by a filter; SQLite: VM steps (thousands)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE audit_auditevent")
            cursor.execute("EXPLAIN ANALYZE " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            return sum(int(n) for n in re.findall(r"Rows Removed by Filter: (\d+)", plan)), plan
        cursor.execute("ANALYZE")
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        plan = "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    connection.connection.set_progress_handler(tick, 1000)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            cursor.fetchall()
    finally:
        connection.connection.set_progress_handler(None, 1000)
    return steps[0], plan
