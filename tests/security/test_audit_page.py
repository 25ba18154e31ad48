"""The audit trail is append-only, staff read and export it, and old events are purged."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone

from drenfax_portal.audit.models import ACTIONS, AuditEvent, AuditTrailIsAppendOnly
from drenfax_portal.audit.services import audit_events_purge, audit_record, client_ip

pytestmark = pytest.mark.django_db


def event(**fields) -> AuditEvent:
    fields.setdefault("action", "fax.viewed")
    return AuditEvent.objects.create(**fields)


# --- append-only --------------------------------------------------------------------------------


def test_an_event_cannot_be_changed_or_deleted_through_the_orm():
    row = event(username="alice")
    row.username = "mallory"
    with pytest.raises(AuditTrailIsAppendOnly):
        row.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        row.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=row.pk).update(username="mallory")
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=row.pk).delete()
    assert AuditEvent.objects.get(pk=row.pk).username == "alice"


def test_the_database_refuses_an_update_even_in_raw_sql():
    row = event(username="alice")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET username = 'mallory' WHERE id = %s", [row.pk])
    assert AuditEvent.objects.get(pk=row.pk).username == "alice"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the DELETE trigger is PostgreSQL's")
def test_postgresql_refuses_a_delete_outside_the_retention_purge():
    row = event(username="alice")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [row.pk])
    assert AuditEvent.objects.filter(pk=row.pk).exists()


def test_no_portal_page_or_admin_page_changes_events(staff_client):
    from django.contrib import admin

    assert not admin.site.is_registered(AuditEvent)
    row = event(username="alice")
    for method in (staff_client.post, staff_client.put, staff_client.delete):
        assert method("/audit/").status_code == 405
    assert AuditEvent.objects.get(pk=row.pk).username == "alice"


def test_unknown_actions_are_refused_and_every_listed_action_is_accepted():
    with pytest.raises(ValueError, match="unknown audit action"):
        audit_record("fax.teleported")
    for action in ACTIONS:
        audit_record(action)
    assert AuditEvent.objects.count() == len(ACTIONS)
    assert "blast.sent" in ACTIONS  # the blast view records its sends under this name


def test_details_never_keep_secret_looking_values():
    row = audit_record(
        "number.storage_changed",
        details={"password": "hunter2", "api_key": "k", "host": "ftp.example.com", "x" * 300: 1},
    )
    assert "password" not in row.details and "api_key" not in row.details
    assert row.details["host"] == "ftp.example.com"


# --- retention ----------------------------------------------------------------------------------


def test_events_past_the_retention_period_are_purged_and_the_purge_is_recorded(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old = event(at=timezone.now() - timedelta(days=31))
    recent = event(at=timezone.now() - timedelta(days=29))
    assert audit_events_purge() == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    assert AuditEvent.objects.get(action="audit.purged").details["events"] == 1


def test_the_default_retention_is_six_years(settings):
    assert settings.AUDIT_RETENTION_DAYS >= 6 * 365
    kept = event(at=timezone.now() - timedelta(days=6 * 365 - 1))
    gone = event(at=timezone.now() - timedelta(days=6 * 366 + 1))
    out = io.StringIO()
    call_command("purge_audit", stdout=out)
    assert "1 audit event(s)" in out.getvalue()
    assert AuditEvent.objects.filter(pk=kept.pk).exists()
    assert not AuditEvent.objects.filter(pk=gone.pk).exists()


# --- the staff page -----------------------------------------------------------------------------


def test_members_cannot_see_the_audit_trail(alice_client):
    for url in ("/audit/", "/audit/export.csv", "/audit/lockouts/"):
        assert alice_client.get(url).status_code == 404


def test_staff_filter_by_user_action_outcome_and_dates(staff_client):
    now = timezone.now()
    event(username="alice", action="fax.viewed", at=now - timedelta(days=3))
    event(username="alice", action="fax.deleted", outcome="failure", at=now)
    event(username="bob", action="fax.viewed", at=now)
    today = timezone.localdate().isoformat()

    def rows(query: str) -> list[tuple[str, str]]:
        page = staff_client.get(f"/audit/?{query}").context["page"]
        return [(e.username, e.action) for e in page]

    assert rows("user=ALICE") == [("alice", "fax.deleted"), ("alice", "fax.viewed")]
    assert rows("action=fax.viewed") == [("bob", "fax.viewed"), ("alice", "fax.viewed")]
    assert rows("outcome=failure") == [("alice", "fax.deleted")]
    assert rows(f"date_from={today}&date_to={today}&user=alice") == [("alice", "fax.deleted")]
    body = staff_client.get("/audit/?user=alice").content.decode()
    assert "Fax deleted" in body and "Failure" in body


def test_the_page_shows_no_edit_or_delete_controls(staff_client):
    event(username="alice")
    body = staff_client.get("/audit/").content.decode()
    assert 'method="post"' not in body.split("<main", 1)[1]


def test_the_csv_export_keeps_the_filter_defuses_formulas_and_is_audited(staff_client):
    event(username='=HYPERLINK("http://evil")', action="auth.login_failed", outcome="failure")
    event(username="alice", action="fax.viewed", details={"note": "+SUM(A1)"})
    response = staff_client.get("/audit/export.csv?outcome=failure")
    assert response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["Time (UTC)", "User", "IP address", "Action"]
    assert len(rows) == 2
    assert rows[1][1] == '\'=HYPERLINK("http://evil")'
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.username == "staffer" and exported.details["outcome"] == "failure"

    everything = staff_client.get("/audit/export.csv")
    text = b"".join(everything.streaming_content).decode()
    assert "'note=+SUM(A1)" not in text and "note=+SUM(A1)" in text  # inside the cell, inert


# --- the client's address -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "10.0.0.2"),  # no trusted proxy: the header proves nothing
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client's own entry is ignored
        (2, "198.51.100.7, 203.0.113.9", "198.51.100.7"),
        (1, "not-an-ip", "10.0.0.2"),
        (1, "", "10.0.0.2"),
        (1, "[2001:db8::1]:443", "2001:db8::1"),
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(
    settings, count, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
