"""`manage.py reprocess_webhooks` replays stored deliveries after a fix."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from faxes.models import Fax, FaxEvent, PdfState, WebhookDelivery
from faxes.services import webhooks
from faxes.services.documents import open_document
from tests.factories import fax_payload
from tests.webhooks.helpers import PDF, inbound, post_form, post_json

pytestmark = pytest.mark.django_db


def replay(*args: str) -> str:
    out = io.StringIO()
    call_command("reprocess_webhooks", *args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture
def broken(monkeypatch):
    """A bug in the merge: every delivery fails until the fixture is undone."""

    def bug(*args, **kwargs):
        raise KeyError("faxNumber")

    monkeypatch.setattr(webhooks, "fax_merge_fields", bug)
    return monkeypatch


def test_a_failed_delivery_replayed_after_the_fix_is_applied(webhook, broken):
    payload = fax_payload(status="success", pagesComplete=3)
    assert post_json(webhook, payload).status_code == 422
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == "failed" and not Fax.objects.exists()

    broken.undo()
    output = replay("--id", str(delivery.pk))

    delivery.refresh_from_db()
    assert delivery.outcome == "applied" and delivery.error == "" and delivery.attempts == 2
    assert f"delivery {delivery.pk}: failed -> applied" in output
    fax = Fax.objects.get(message_id=payload["messageId"])
    assert delivery.fax == fax and fax.status == "success"
    assert list(fax.events.values_list("status", "source")) == [("success", "webhook")]


def test_all_failed_replays_in_arrival_order_and_keeps_the_attachment(webhook, broken):
    payload = inbound(status="processing", pagesComplete=1)
    post_json(webhook, payload)
    post_form(webhook, {**payload, "status": "success", "pagesComplete": 3}, attachment=PDF)
    assert set(WebhookDelivery.objects.values_list("outcome", flat=True)) == {"failed"}

    broken.undo()
    replay("--all-failed")

    assert list(WebhookDelivery.objects.order_by("id").values_list("outcome", flat=True)) == [
        "applied",
        "applied",
    ]
    fax = Fax.objects.get()
    assert fax.status == "success" and fax.pages_complete == 3
    assert fax.pdf_state == PdfState.DONE
    with open_document(fax.pdf_path) as stored:
        assert stored.read() == PDF


def test_a_replay_that_fails_again_stays_failed_and_says_so(webhook, broken):
    post_json(webhook, fax_payload())
    delivery = WebhookDelivery.objects.get()
    with pytest.raises(CommandError, match="1 delivery"):
        replay("--id", str(delivery.pk))
    delivery.refresh_from_db()
    assert delivery.outcome == "failed" and delivery.attempts == 2
    assert not FaxEvent.objects.exists()


def test_applied_deliveries_are_left_alone(webhook):
    post_json(webhook, fax_payload())
    delivery = WebhookDelivery.objects.get()
    output = replay("--id", str(delivery.pk))
    assert "applied, left alone" in output
    delivery.refresh_from_db()
    assert delivery.outcome == "applied" and delivery.attempts == 1
    assert FaxEvent.objects.count() == 1


def test_replaying_twice_changes_the_fax_once(webhook, broken):
    post_json(webhook, fax_payload())
    post_json(webhook, WebhookDelivery.objects.get().body)  # the provider's retry
    broken.undo()
    replay("--all-failed")
    assert sorted(WebhookDelivery.objects.values_list("outcome", flat=True)) == [
        "applied",
        "duplicate",
    ]
    assert FaxEvent.objects.count() == 1


def test_an_unparsable_form_cannot_be_replayed(webhook):
    webhook.post("/webhooks/drenfax/", b"junk", content_type="multipart/form-data; boundary=B")
    with pytest.raises(CommandError):
        replay("--all-failed")
    assert WebhookDelivery.objects.get().outcome == "failed"


def test_an_unknown_id_is_reported():
    with pytest.raises(CommandError):
        replay("--id", "999")


def test_one_of_the_options_is_required():
    with pytest.raises(CommandError):
        replay()
