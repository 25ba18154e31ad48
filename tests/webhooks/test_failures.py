"""Deliveries that cannot be applied are kept, answered 4xx (never 500) and change nothing."""

from __future__ import annotations

import json
import uuid

import pytest

from faxes.models import Fax, FaxEvent, WebhookDelivery
from faxes.services import webhooks
from tests.factories import fax_payload, make_fax
from tests.webhooks.helpers import PDF, WEBHOOK_URL, inbound, post_form, post_json, stored_files

pytestmark = pytest.mark.django_db


def failed_delivery(response, status: int) -> WebhookDelivery:
    assert response.status_code == status, response.content
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == "failed" and delivery.response_status == status
    assert delivery.error and response.json()["error"] == delivery.error
    assert delivery.fax is None
    assert not Fax.objects.exists() and not FaxEvent.objects.exists()
    return delivery


@pytest.mark.parametrize(
    "body", ["{not json", "", "{}}", '{"messageId": NaN}', "[" * 100_000, "\x00\x01"]
)
def test_malformed_json_is_kept_and_answered_400(webhook, body):
    delivery = failed_delivery(post_json(webhook, body), 400)
    assert "malformed JSON" in delivery.error


def test_the_body_is_kept_as_sent(webhook):
    delivery = failed_delivery(post_json(webhook, '{"messageId": "x", broken'), 400)
    assert delivery.body == '{"messageId": "x", broken'


def test_a_missing_message_id_is_answered_422(webhook):
    payload = fax_payload()
    del payload["messageId"]
    delivery = failed_delivery(post_json(webhook, payload), 422)
    assert "messageId" in delivery.error


@pytest.mark.parametrize(
    "overrides",
    [
        {"messageId": 12345},
        {"messageId": "not-a-uuid"},
        {"status": 3},
        {"status": "delivered"},
        {"status": None},
        {"direction": ["inbound"]},
        {"direction": "sideways"},
    ],
)
def test_wrong_types_are_answered_422_and_change_nothing(webhook, overrides):
    delivery = failed_delivery(post_json(webhook, fax_payload(**overrides)), 422)
    assert "not a fax object" in delivery.error


@pytest.mark.parametrize("body", [[1, 2], "a string", 42, None, True])
def test_json_that_is_not_an_object_is_answered_422(webhook, body):
    failed_delivery(post_json(webhook, json.dumps(body)), 422)


def test_an_envelope_whose_data_is_not_a_fax_is_answered_422(webhook):
    failed_delivery(post_json(webhook, {"event": "fax.inbound", "data": [1]}), 422)


def test_the_message_id_is_recorded_even_when_the_object_is_refused(webhook):
    payload = fax_payload(status="lost")
    delivery = failed_delivery(post_json(webhook, payload), 422)
    assert delivery.message_id == uuid.UUID(payload["messageId"])


def test_odd_field_types_are_coerced_not_fatal(webhook):
    payload = fax_payload(
        pagesComplete="two",
        pagesCount=-4,
        duration=1.5,
        subject={"nested": True},
        tags="not a list",
        cf=[1],
        createdAt="yesterday",
        faxDetected="yes",
    )
    assert post_json(webhook, payload).status_code == 200
    fax = Fax.objects.get()
    assert fax.pages_complete is None and fax.subject == "" and fax.tags == []


def test_nul_characters_and_lone_surrogates_are_stored_cleanly(webhook):
    body = json.dumps(fax_payload(subject="a\u0000b", recipientName="x\ud800y"))
    assert "\\u0000" in body and "\\ud800" in body
    assert post_json(webhook, body).status_code == 200
    fax = Fax.objects.get()
    assert fax.subject == "ab" and fax.recipient_name == "x?y"


def test_a_multipart_body_without_boundary_is_kept_and_answered_400(webhook):
    response = webhook.post(WEBHOOK_URL, b"--x\r\n", content_type="multipart/form-data")
    delivery = failed_delivery(response, 400)
    assert delivery.body_kind == "unparsed" and "boundary" in delivery.error


@pytest.mark.parametrize(
    "body",
    [
        b"garbage without any boundary",
        b"--B\r\n\r\n{}\r\n--B--\r\n",  # a part without headers
        b"--B\r\nContent-Type: text/plain\r\n\r\n{}\r\n--B--\r\n",  # no disposition
        b"--B--\r\n",  # no parts, so no data field
    ],
)
def test_a_malformed_multipart_body_is_kept_and_answered_400(webhook, body):
    response = webhook.post(WEBHOOK_URL, body, content_type="multipart/form-data; boundary=B")
    delivery = failed_delivery(response, 400)
    assert delivery.body_kind == "unparsed"


def test_a_form_cut_short_is_read_as_far_as_it_goes_and_kept_when_it_cannot_apply(webhook):
    body = b'--B\r\nContent-Disposition: form-data; name="data"\r\n\r\n{}'  # never closed
    response = webhook.post(WEBHOOK_URL, body, content_type="multipart/form-data; boundary=B")
    delivery = failed_delivery(response, 422)
    assert delivery.body_kind == "form" and "messageId" in delivery.error


def test_a_form_without_a_data_field_is_answered_400(webhook):
    response = webhook.post(WEBHOOK_URL, {"payload": json.dumps(fax_payload())})
    failed_delivery(response, 400)


def test_a_failed_multipart_delivery_keeps_its_attachment_for_a_replay(webhook):
    response = post_form(webhook, "{broken", attachment=PDF)
    delivery = failed_delivery(response, 400)
    assert delivery.attachment_path and len(stored_files()) == 1


def test_an_unexpected_error_is_kept_answered_422_and_rolled_back(webhook, monkeypatch):
    def explode(fax, delivery, created_files):
        raise RuntimeError("boom")

    monkeypatch.setattr(webhooks, "_inbound_document", explode)
    response = post_form(webhook, inbound(), attachment=PDF)
    delivery = failed_delivery(response, 422)
    assert "RuntimeError: boom" in delivery.error
    assert delivery.message_id is not None


def test_a_database_error_while_applying_is_kept_and_rolled_back(webhook, monkeypatch):
    from django.db import IntegrityError

    def refuse(*args, **kwargs):
        raise IntegrityError("refused")

    # The fax row is written by then; adding its timeline event fails.
    monkeypatch.setattr(FaxEvent.objects, "bulk_create", refuse)
    failed_delivery(post_json(webhook, fax_payload()), 422)


def test_when_the_delivery_cannot_be_stored_the_answer_is_503_and_no_file_remains(
    webhook, monkeypatch
):
    def down(*args, **kwargs):
        raise OSError("database unavailable")

    monkeypatch.setattr(WebhookDelivery, "save", down)
    response = post_form(webhook, inbound(), attachment=PDF)
    assert response.status_code == 503
    assert not stored_files()


def test_a_failure_never_touches_an_existing_fax(webhook):
    fax = make_fax(status="transmitting", pagesComplete=1)
    response = post_json(webhook, {"messageId": str(fax.message_id), "status": "success"})
    assert response.status_code == 422
    fax.refresh_from_db()
    assert fax.status == "transmitting" and fax.events.count() == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"faxNumber": "1" * 40},
        {"faxCallerId": "9" * 40},
        {"tags": ["t" * 100] * 20},
        {"createdAt": "0001-01-01T00:00:00+05:00"},
        {"createdAt": "9999-12-31T23:59:59-05:00"},
        {"pagesComplete": "²"},
        {"pagesComplete": "1" * 5000},
    ],
)
def test_values_beyond_the_columns_are_clipped_not_refused(webhook, overrides):
    # PostgreSQL refuses over-long strings and dates beyond year 9999 in UTC; the fax is
    # still worth keeping.
    assert post_json(webhook, fax_payload(**overrides)).status_code == 200
    assert Fax.objects.get()
