"""Bodies over the documented caps are refused with 413 and store nothing."""

from __future__ import annotations

import io
import json

import pytest
from django.test import RequestFactory

from faxes.models import Fax
from faxes.views.webhooks import drenfax_webhook
from tests.factories import fax_payload
from tests.webhooks.helpers import (
    PDF,
    WEBHOOK_URL,
    basic,
    inbound,
    nothing_stored,
    post_form,
    stored_files,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_caps(settings):
    settings.DRENFAX_WEBHOOK_MAX_JSON_BYTES = 4096
    settings.DRENFAX_WEBHOOK_MAX_MULTIPART_BYTES = 16384


def test_an_oversized_json_body_is_refused_with_413(webhook):
    payload = fax_payload(subject="x" * 5000)
    response = webhook.post(WEBHOOK_URL, payload, content_type="application/json")
    assert response.status_code == 413
    assert nothing_stored() and not Fax.objects.exists()


def test_a_json_body_at_the_cap_is_accepted(webhook, settings):
    body = json.dumps(fax_payload())
    body += " " * (settings.DRENFAX_WEBHOOK_MAX_JSON_BYTES - len(body))
    assert webhook.post(WEBHOOK_URL, body, content_type="application/json").status_code == 200


def test_an_oversized_multipart_body_is_refused_with_413(webhook):
    response = post_form(webhook, inbound(), attachment=PDF + b"0" * 20000)
    assert response.status_code == 413
    assert nothing_stored() and not Fax.objects.exists()
    assert not stored_files()


def test_a_multipart_body_may_be_larger_than_the_json_cap(webhook):
    response = post_form(webhook, inbound(), attachment=PDF + b"0" * 8000)
    assert response.status_code == 200


def test_a_json_body_cannot_use_the_multipart_cap(webhook):
    # The cap follows the content type, so a form's allowance does not stretch JSON.
    body = json.dumps(fax_payload(subject="x" * 8000))
    response = webhook.post(WEBHOOK_URL, body, content_type="text/plain")
    assert response.status_code == 413


def test_a_body_without_content_length_is_still_capped():
    # Chunked uploads (e.g. under ASGI) have no Content-Length: the view reads cap + 1 bytes.
    body = json.dumps(fax_payload(subject="x" * 5000)).encode()
    request = RequestFactory().post(
        WEBHOOK_URL, body, content_type="application/json", HTTP_AUTHORIZATION=basic()
    )
    del request.META["CONTENT_LENGTH"]
    request._stream = io.BytesIO(body)
    response = drenfax_webhook(request)
    assert response.status_code == 413
    assert nothing_stored()


def test_the_read_is_capped_whatever_content_length_says():
    body = json.dumps(fax_payload(subject="x" * 5000)).encode()
    request = RequestFactory().post(
        WEBHOOK_URL, body, content_type="application/json", HTTP_AUTHORIZATION=basic()
    )
    request.META["CONTENT_LENGTH"] = "10"
    request._stream = io.BytesIO(body)
    assert drenfax_webhook(request).status_code == 413
    assert nothing_stored()


def test_oversized_bodies_from_strangers_get_401_not_413(client):
    response = client.post(WEBHOOK_URL, "x" * 10000, content_type="application/json")
    assert response.status_code == 401


def chunked_request(body: bytes):
    """A request as gunicorn passes a chunked upload: no Content-Length, input terminated."""
    request = RequestFactory().post(
        WEBHOOK_URL, b"", content_type="application/json", HTTP_AUTHORIZATION=basic()
    )
    request.META.pop("CONTENT_LENGTH", None)
    request.META["wsgi.input"] = io.BytesIO(body)
    request.META["wsgi.input_terminated"] = True
    return request


def test_a_chunked_body_is_read_from_a_server_that_terminates_the_input():
    body = json.dumps(fax_payload()).encode()
    response = drenfax_webhook(chunked_request(body))
    assert response.status_code == 200
    assert Fax.objects.exists()


def test_a_chunked_body_over_the_cap_is_refused():
    body = json.dumps(fax_payload(subject="x" * 5000)).encode()
    assert drenfax_webhook(chunked_request(body)).status_code == 413
    assert nothing_stored()
