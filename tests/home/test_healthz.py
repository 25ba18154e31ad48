"""`/healthz`: for load balancers, without signing in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from faxes.models import SyncState
from faxes.services.sync import sync_state

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_signing_in_and_says_how_old_the_sync_is(settings):
    sync_state(settings.DRENFAX_ACCOUNT_ID)
    SyncState.objects.update(last_success_at=timezone.now() - timedelta(seconds=90))
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] and body["database"] == "ok" and body["tasks"] == "ok"
    assert 89 <= body["last_sync_age_seconds"] <= 95 and not body["sync_overdue"]
    assert body["tasks_queued"] == 0


def test_healthz_is_503_when_the_task_store_does_not_answer(tasks, monkeypatch):
    def down():
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks.huey, "pending_count", down)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["tasks"] == "unreachable"


def test_healthz_is_503_when_the_database_does_not_answer(monkeypatch):
    from django.db import OperationalError

    def down(account_id):
        raise OperationalError("no database")

    monkeypatch.setattr("drenfax_portal.dashboard.selectors.sync_state", down)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_the_staff_health_panel_says_when_the_task_store_does_not_answer(
    staff_client, tasks, monkeypatch
):
    monkeypatch.setattr(tasks.huey, "pending_count", lambda: 1 / 0)
    body = staff_client.get("/").content.decode()
    assert "task store unreachable" in body
