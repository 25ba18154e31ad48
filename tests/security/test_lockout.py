"""Repeated failed sign-ins lock one username from one address for a while; staff unlock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from drenfax_portal.audit.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client: Client, password: str, username: str = "alice", ip: str = "203.0.113.5"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def fail(client: Client, times: int, **kwargs) -> list[int]:
    """Sign in with a wrong password `times` times; the status codes of the answers."""
    return [sign_in(client, "wrong guess", **kwargs).status_code for _ in range(times)]


def test_the_defaults_are_five_failures_and_fifteen_minutes(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_the_fifth_failure_locks_even_the_right_password_out(client, alice):
    assert fail(client, 4) == [200] * 4
    locked = sign_in(client, "wrong guess")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    refused = sign_in(client, PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_and_the_lockout_are_audited(client, alice):
    fail(client, 4)
    sign_in(client, "wrong guess")
    sign_in(client, PASSWORD)
    failed = AuditEvent.objects.filter(action="auth.login_failed")
    locked = AuditEvent.objects.filter(action="auth.locked_out")
    assert failed.count() == 4
    assert locked.count() == 2  # the attempt that reached the limit, then the refused one
    assert {(e.username, e.ip, e.outcome) for e in locked} == {("alice", "203.0.113.5", "failure")}
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_the_lock_holds_one_username_at_one_address_only(client, alice, bob):
    fail(client, 5)
    assert sign_in(Client(), PASSWORD, ip="198.51.100.20").status_code == 302
    assert sign_in(Client(), PASSWORD, username="bob").status_code == 302


def test_the_lock_ends_after_the_cool_off(client, alice):
    fail(client, 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(client, PASSWORD).status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(client, alice):
    fail(client, 4)
    assert sign_in(client, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    fail(client, 4)
    assert sign_in(client, PASSWORD).status_code == 302


def test_staff_see_the_lockout_and_unlock_it(client, alice, staff_client):
    fail(client, 5)
    page = staff_client.get("/audit/lockouts/").content.decode()
    assert "alice" in page and "203.0.113.5" in page and "Locked" in page
    attempt = AccessAttempt.objects.get(username="alice")
    response = staff_client.post(f"/audit/lockouts/{attempt.pk}/unlock/")
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    event = AuditEvent.objects.get(action="auth.unlocked")
    assert event.username == "staffer"
    assert event.details == {"username": "alice", "ip_address": "203.0.113.5"}
    assert sign_in(client, PASSWORD).status_code == 302


def test_unlocking_leaves_other_lockouts_alone(client, alice, bob, staff_client):
    fail(client, 5)
    fail(Client(), 5, username="bob")
    alice_attempt = AccessAttempt.objects.get(username="alice")
    staff_client.post(f"/audit/lockouts/{alice_attempt.pk}/unlock/")
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["bob"]


def test_members_cannot_unlock(client, alice, bob_client):
    fail(client, 5)
    attempt = AccessAttempt.objects.get()
    assert bob_client.post(f"/audit/lockouts/{attempt.pk}/unlock/").status_code == 404
    assert AccessAttempt.objects.exists()


def test_the_lockout_counts_the_address_behind_a_trusted_proxy(client, alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        client.post(
            "/accounts/login/",
            {"username": "alice", "password": "wrong guess"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="198.51.100.77",
        )
    assert AccessAttempt.objects.get().ip_address == "198.51.100.77"
    other = client.post(
        "/accounts/login/",
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.78",
    )
    assert other.status_code == 302


def test_force_login_and_the_webhook_are_not_affected(client, alice, settings):
    fail(client, 5)
    client.force_login(alice)  # tests and the admin's "log in as" never go through axes
    assert client.get("/").status_code == 200
    settings.DRENFAX_WEBHOOK_AUTH = "hooks:secret-for-test"
    assert (
        Client().post("/webhooks/drenfax/", data="{}", content_type="application/json").status_code
        == 401
    )
