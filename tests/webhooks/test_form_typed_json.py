"""A JSON body posted with a form content type (curl -d, PHP) is read as JSON."""

from __future__ import annotations

import json

import pytest

from faxes.models import Fax, WebhookDelivery
from faxes.services.webhooks import webhook_reprocess
from tests.webhooks.helpers import WEBHOOK_URL, inbound

pytestmark = pytest.mark.django_db


def test_a_json_body_sent_with_a_form_content_type_is_read_as_json(webhook):
    # The module says bodies are "told apart by content, never by a header": a sender that
    # posts the JSON fax object with curl-style `application/x-www-form-urlencoded` (the
    # default of curl -d and of PHP's CURLOPT_POSTFIELDS string) loses the fax, and the
    # delivery is stored as unparsed, so it cannot even be replayed.
    payload = inbound()
    response = webhook.post(
        WEBHOOK_URL, json.dumps(payload), content_type="application/x-www-form-urlencoded"
    )
    delivery = WebhookDelivery.objects.get()
    replayed = webhook_reprocess(delivery.pk)
    assert response.status_code == 200, (response.status_code, response.json())
    assert Fax.objects.filter(message_id=payload["messageId"]).exists(), replayed.outcome
