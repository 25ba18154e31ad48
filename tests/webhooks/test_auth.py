"""Only the provider, with the configured HTTP Basic credentials, gets anything stored."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from faxes.models import Fax, WebhookDelivery
from tests.factories import fax_payload
from tests.webhooks.helpers import PASSWORD, USER, WEBHOOK_URL, basic, nothing_stored, post_json

pytestmark = pytest.mark.django_db


def assert_refused(response) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="drenfax-webhooks"'
    assert nothing_stored()
    assert not Fax.objects.exists()


def test_it_rejects_a_delivery_without_credentials():
    assert_refused(post_json(Client(), fax_payload()))


def test_it_rejects_a_wrong_user():
    assert_refused(post_json(Client(HTTP_AUTHORIZATION=basic(user="mallory")), fax_payload()))


def test_it_rejects_a_wrong_password():
    assert_refused(post_json(Client(HTTP_AUTHORIZATION=basic(password="guess")), fax_payload()))


def test_it_rejects_a_password_that_only_starts_right():
    client = Client(HTTP_AUTHORIZATION=basic(password=PASSWORD[:-1]))
    assert_refused(post_json(client, fax_payload()))


@pytest.mark.parametrize(
    "header",
    [
        "Basic",
        "Basic ",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon-here").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode() + "%%",
        f"{USER}:{PASSWORD}",
        "Bearer " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(),
        "Digest username=drenfax",
    ],
)
def test_it_rejects_a_malformed_or_non_basic_header(header):
    assert_refused(post_json(Client(HTTP_AUTHORIZATION=header), fax_payload()))


def test_the_scheme_name_is_case_insensitive():
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    response = post_json(Client(HTTP_AUTHORIZATION=f"basic {token}"), fax_payload())
    assert response.status_code == 200


def test_it_answers_503_when_no_credentials_are_configured(settings, webhook):
    settings.DRENFAX_WEBHOOK_AUTH = ""
    response = post_json(webhook, fax_payload())
    assert response.status_code == 503
    assert nothing_stored()


def test_it_answers_503_when_the_credentials_have_no_colon(settings):
    settings.DRENFAX_WEBHOOK_AUTH = "justonesecret"
    client = Client(HTTP_AUTHORIZATION=basic("justonesecret", ""))
    assert post_json(client, fax_payload()).status_code == 503
    assert nothing_stored()


def test_in_debug_without_credentials_it_accepts_deliveries(settings):
    settings.DEBUG = True
    settings.DRENFAX_WEBHOOK_AUTH = ""
    assert post_json(Client(), fax_payload()).status_code == 200
    assert WebhookDelivery.objects.count() == 1


def test_only_post_is_allowed(webhook):
    assert webhook.get(WEBHOOK_URL).status_code == 405
    assert nothing_stored()


def test_it_needs_no_login_nor_csrf_token_and_takes_the_url_without_slash():
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=basic())
    response = client.post(WEBHOOK_URL.rstrip("/"), fax_payload(), content_type="application/json")
    assert response.status_code == 200


def test_the_authorization_header_is_never_stored(webhook):
    post_json(webhook, fax_payload(), HTTP_USER_AGENT="Drenfax-Webhooks/1.0", HTTP_COOKIE="a=b")
    delivery = WebhookDelivery.objects.get()
    assert delivery.headers["User-Agent"] == "Drenfax-Webhooks/1.0"
    assert delivery.headers["Content-Type"] == "application/json"
    stored = repr(delivery.headers) + delivery.body
    assert PASSWORD not in stored and "Authorization" not in stored and "a=b" not in stored
