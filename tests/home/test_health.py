"""The link's health panel (staff only) and the replay of a failed webhook delivery."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings

from drenfax_portal.dashboard.selectors import link_health
from faxes.models import RateLimitToken, SyncState
from faxes.services.sync import state_key
from tests.home.conftest import ALICE_NUMBER, inbound, outbound

pytestmark = pytest.mark.django_db


def panel(client) -> str:
    body = client.get("/").content.decode()
    return body[body.index('<section id="health"') :]


def field(html: str, name: str) -> str:
    start = html.index(f'data-health="{name}">')
    return html[start : html.index("</dd>", start)]


@pytest.fixture
def synced(now):
    SyncState.objects.update_or_create(
        key=state_key(settings.DRENFAX_ACCOUNT_ID),
        defaults={
            "last_success_at": now - timedelta(minutes=2),
            "last_attempt_at": now - timedelta(minutes=2),
            "backfill_done": True,
        },
    )


def test_a_healthy_link(staff_client, synced):
    html = panel(staff_client)
    assert "Healthy" in html
    assert "2\xa0minutes ago" in field(html, "sync")
    assert field(html, "waits").strip().endswith("0")
    assert "None" in field(html, "stuck")


def test_a_sync_seconds_ago_reads_in_seconds_not_0_minutes(staff_client, now):
    SyncState.objects.update_or_create(
        key=state_key(settings.DRENFAX_ACCOUNT_ID),
        defaults={"last_success_at": now - timedelta(seconds=20), "backfill_done": True},
    )
    sync = field(panel(staff_client), "sync")
    assert "seconds ago" in sync
    assert "0\xa0minutes" not in sync


def test_rate_limit_waits_of_the_last_hour_are_counted(staff_client, synced, now):
    key = settings.DRENFAX_ACCOUNT_ID
    for minutes, waited in ((5, 2.5), (30, 0.7), (50, 0.0), (70, 9.0)):
        taken_at = now - timedelta(minutes=minutes)
        RateLimitToken.objects.create(key=key, taken_at=taken_at, waited=waited)
    assert link_health(now=now).rate_limit_waits == 2
    assert ">2 <small>" in field(panel(staff_client), "waits")


def test_faxes_open_for_more_than_an_hour_are_stuck(staff_client, staff, synced, numbers, now):
    stuck = outbound(ALICE_NUMBER, at=now - timedelta(hours=2), status="transmitting")
    inbound(ALICE_NUMBER, at=now - timedelta(minutes=20), status="processing")  # not yet
    outbound(ALICE_NUMBER, at=now - timedelta(days=2), status="scheduled")  # waits on purpose
    outbound(ALICE_NUMBER, at=now - timedelta(hours=3), status="failed")
    health = link_health(now=now)
    assert health.stuck_count == 1 and health.stuck == [stuck]
    html = panel(staff_client)
    assert "Needs attention" in html
    assert f"/faxes/{stuck.message_id}/" in field(html, "stuck")


def test_a_sync_error_or_an_overdue_sync_needs_attention(staff_client, now):
    state, _ = SyncState.objects.update_or_create(
        key=state_key(settings.DRENFAX_ACCOUNT_ID),
        defaults={"last_success_at": now - timedelta(hours=3)},
    )
    health = link_health(now=now)
    assert health.problems == ["no successful sync recently"]
    assert "overdue" in field(panel(staff_client), "sync")
    SyncState.objects.filter(pk=state.pk).update(last_error="Drenfax refused the API key")
    html = field(panel(staff_client), "sync")
    assert "last attempt failed" in html and "refused the API key" in html


def test_members_get_no_health_panel(alice_client, synced):
    assert 'id="health"' not in alice_client.get("/").content.decode()


def test_webhook_rows_show_the_last_delivery_and_failed_ones_with_replay(staff_client, synced, now):
    from faxes.models import WebhookDelivery as delivery

    delivery.objects.create(received_at=now - timedelta(minutes=7), outcome="applied")
    failed = delivery.objects.create(
        received_at=now - timedelta(minutes=9), outcome="failed", event="fax.status", error="boom"
    )
    html = panel(staff_client)
    assert "7\xa0minutes ago" in field(html, "webhook")
    rows = field(html, "failed-webhooks")
    assert "boom" in rows and f'action="/health/webhooks/{failed.pk}/replay/"' in rows
    assert "Needs attention" in html


def test_replay_is_for_staff_only(alice_client):
    assert alice_client.post("/health/webhooks/1/replay/").status_code == 404


def test_replay_runs_a_failed_delivery_through_the_receiver_again(staff_client):
    from faxes.models import Fax, WebhookDelivery
    from tests.factories import fax_payload

    payload = fax_payload(status="success")
    delivery = WebhookDelivery.objects.create(
        outcome="failed", body=json.dumps(payload), error="the database was down"
    )
    response = staff_client.post(f"/health/webhooks/{delivery.pk}/replay/", follow=True)
    assert f"Delivery {delivery.pk} replayed: Applied." in response.content.decode()
    assert Fax.objects.filter(message_id=payload["messageId"], status="success").exists()
    assert staff_client.get(f"/health/webhooks/{delivery.pk}/replay/").status_code == 405


def test_a_replay_that_fails_again_says_why(staff_client):
    from faxes.models import WebhookDelivery

    delivery = WebhookDelivery.objects.create(outcome="failed", body="{not json")
    response = staff_client.post(f"/health/webhooks/{delivery.pk}/replay/", follow=True)
    assert f"Delivery {delivery.pk} failed again" in response.content.decode()


def test_replaying_an_unknown_delivery_is_a_404(staff_client):
    assert staff_client.post("/health/webhooks/999999/replay/").status_code == 404


def test_the_health_panel_refreshes_alone(staff_client, synced):
    response = staff_client.get("/", headers={"HX-Request": "true", "HX-Target": "health"})
    html = response.content.decode().strip()
    assert html.startswith('<section id="health"') and "<html" not in html
