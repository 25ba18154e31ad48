"""An idle session ends: the next request, htmx or not, needs a new sign-in; polling does not
count as activity."""

from __future__ import annotations

import time

import pytest

from drenfax_portal.accounts.middleware import LAST_ACTIVITY, POLL_HEADER
from drenfax_portal.audit.models import AuditEvent
from tests.factories import make_fax, make_number

pytestmark = pytest.mark.django_db

POLL = {"HX-Request": "true", POLL_HEADER: "1"}


def idle_for(client, minutes: float) -> None:
    session = client.session
    session[LAST_ACTIVITY] = int(time.time() - minutes * 60)
    session.save()


def last_activity(client) -> int | None:
    return client.session.get(LAST_ACTIVITY)


def test_the_default_idle_time_is_fifteen_minutes(settings):
    assert settings.IDLE_TIMEOUT_MINUTES == 15


def test_a_request_within_the_idle_time_goes_through_and_renews_it(alice_client):
    idle_for(alice_client, 14)
    before = last_activity(alice_client)
    assert alice_client.get("/").status_code == 200
    assert last_activity(alice_client) > before


def test_the_first_page_after_the_idle_time_asks_to_sign_in_again(alice_client, alice):
    idle_for(alice_client, 16)
    response = alice_client.get("/faxes/?status=failed")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/faxes/%3Fstatus%3Dfailed"
    assert "_auth_user_id" not in alice_client.session
    login = alice_client.get(response["Location"]).content.decode()
    assert "signed out after 15 minutes without activity" in login
    event = AuditEvent.objects.get(action="auth.timeout")
    assert event.actor_id == alice.pk and event.username == "alice"
    # The next page is still refused (the session is gone, not just this request).
    assert alice_client.get("/").status_code == 302


def test_an_htmx_request_after_the_idle_time_gets_hx_redirect_to_the_login_page(alice_client):
    idle_for(alice_client, 16)
    response = alice_client.get(
        "/faxes/refresh/",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/faxes/?q=lab"},
    )
    assert response.status_code == 200  # htmx 2 follows HX-Redirect on a 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/faxes/%3Fq%3Dlab"
    assert "_auth_user_id" not in alice_client.session


def test_an_htmx_post_after_the_idle_time_changes_nothing(alice_client, alice):
    make_number("+12065550100", alice)
    fax = make_fax(direction="outbound", status="failed", faxCallerId="+12065550100")
    idle_for(alice_client, 20)
    response = alice_client.post(
        f"/faxes/{fax.message_id}/archive/", {"archived": "1"}, headers={"HX-Request": "true"}
    )
    assert response["HX-Redirect"].startswith("/accounts/login/")
    fax.refresh_from_db()
    assert not fax.is_archived


def test_a_foreign_current_url_is_not_used_as_the_next_page(alice_client):
    idle_for(alice_client, 16)
    response = alice_client.get(
        "/faxes/", headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/x"}
    )
    assert response["HX-Redirect"] == "/accounts/login/?next=/"


def test_polling_does_not_count_as_activity(alice_client, alice):
    make_number("+12065550100", alice)
    fax = make_fax(direction="outbound", status="processing", faxCallerId="+12065550100")
    idle_for(alice_client, 10)
    before = last_activity(alice_client)
    assert alice_client.get(f"/faxes/{fax.message_id}/row/", headers=POLL).status_code == 200
    assert alice_client.get("/faxes/sync-status/", headers=POLL).status_code == 200
    assert last_activity(alice_client) == before

    # Polls alone keep nobody signed in: once the time is up the poll itself is redirected.
    idle_for(alice_client, 16)
    response = alice_client.get(f"/faxes/{fax.message_id}/row/", headers=POLL)
    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_an_htmx_request_the_user_made_counts_as_activity(alice_client):
    idle_for(alice_client, 10)
    before = last_activity(alice_client)
    alice_client.get("/faxes/", headers={"HX-Request": "true", "HX-Target": "results"})
    assert last_activity(alice_client) > before


def test_signing_in_starts_the_clock(client, alice):
    from tests.conftest import PASSWORD

    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert abs(last_activity(client) - time.time()) < 5


def test_the_idle_time_is_configurable(alice_client, settings):
    settings.IDLE_TIMEOUT_MINUTES = 2
    idle_for(alice_client, 3)
    assert alice_client.get("/").status_code == 302


def test_anonymous_htmx_requests_get_hx_redirect_too(client):
    response = client.get("/faxes/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/faxes/"


def test_the_webhook_needs_no_session_and_is_unaffected(client, settings):
    settings.DRENFAX_WEBHOOK_AUTH = "hooks:secret-for-test"
    response = client.post("/webhooks/drenfax/", data="{}", content_type="application/json")
    assert response.status_code == 401  # its own Basic auth answers, not a login redirect


def test_a_form_posted_after_the_idle_time_signs_in_back_to_its_page(alice_client, alice):
    from tests.conftest import PASSWORD

    make_number("+12065550100", alice)
    fax = make_fax(direction="inbound", status="success", faxNumber="+12065550100")
    page = f"/faxes/{fax.message_id}/"
    idle_for(alice_client, 16)
    response = alice_client.post(
        f"{page}notes/", {"text": "Called back"}, headers={"Referer": f"http://testserver{page}"}
    )
    # Not the note's POST-only URL, which a GET after signing in would answer with 405.
    assert response["Location"] == f"/accounts/login/?next={page}"
    signed_in = alice_client.post(
        response["Location"], {"username": "alice", "password": PASSWORD}, follow=True
    )
    assert signed_in.status_code == 200 and signed_in.redirect_chain[-1][0] == page
