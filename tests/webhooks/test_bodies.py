"""Both body formats: JSON (a fax object or an envelope) and the legacy multipart form."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from faxes.models import Fax, FaxEvent, PdfState, WebhookDelivery
from faxes.services.documents import open_document
from tests.factories import fax_payload, make_number
from tests.webhooks.helpers import PDF, WEBHOOK_URL, inbound, post_form, post_json

pytestmark = pytest.mark.django_db


def test_a_json_fax_object_updates_the_cached_fax(webhook):
    payload = fax_payload(status="processing")
    post_json(webhook, payload)
    response = post_json(webhook, {**payload, "status": "success", "pagesComplete": 3})
    assert response.status_code == 200
    assert response.json()["outcome"] == "applied"
    fax = Fax.objects.get(message_id=payload["messageId"])
    assert fax.status == "success" and fax.pages_complete == 3
    assert list(fax.events.values_list("status", "source")) == [
        ("processing", "webhook"),
        ("success", "webhook"),
    ]


def test_the_delivery_is_stored_with_what_it_did(webhook):
    payload = fax_payload()
    post_json(webhook, payload)
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == "applied"
    assert delivery.message_id == uuid.UUID(payload["messageId"])
    assert delivery.fax == Fax.objects.get()
    assert json.loads(delivery.body) == payload
    assert delivery.body_kind == "json"
    assert delivery.content_type == "application/json"
    assert delivery.response_status == 200
    assert delivery.attempts == 1 and delivery.processed_at is not None


def test_a_new_style_delivery_names_its_event_in_the_flat_fax_object(webhook):
    payload = fax_payload(status="transmitting")
    response = post_json(webhook, {"event": "fax.v1.outbound.transmitting", **payload})
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "fax.v1.outbound.transmitting" and delivery.outcome == "applied"
    assert Fax.objects.get(message_id=payload["messageId"]).status == "transmitting"


@pytest.mark.parametrize(
    ("payload", "event"),
    [
        (inbound(), "fax.inbound"),
        (fax_payload(status="success"), "fax.outbound"),
        (fax_payload(status="cancelled"), "fax.outbound"),
        (fax_payload(status="processing"), "fax.outbound.extended"),
    ],
)
def test_a_legacy_delivery_gets_its_event_from_the_fax(webhook, payload, event):
    # Legacy (multipart) deliveries do not name their event, and no header of ours is used.
    response = post_form(webhook, payload)
    assert response.status_code == 200
    assert WebhookDelivery.objects.get().event == event


def test_a_new_style_number_event_is_ignored(webhook):
    body = {"event": "fax.v1.number.release", "numberId": str(uuid.uuid4())}
    response = post_json(webhook, body)
    assert response.status_code == 200
    assert WebhookDelivery.objects.get().outcome == "ignored"


def test_an_envelope_gives_the_event_name(webhook):
    payload = fax_payload(status="transmitting")
    response = post_json(webhook, {"event": "fax.outbound.extended", "data": payload})
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "fax.outbound.extended" and delivery.outcome == "applied"
    assert Fax.objects.get(message_id=payload["messageId"]).status == "transmitting"


def test_an_envelope_may_hold_the_fax_object_as_a_json_string(webhook):
    payload = fax_payload()
    post_json(webhook, {"event": "fax.v1.outbound.complete", "data": json.dumps(payload)})
    assert Fax.objects.filter(message_id=payload["messageId"]).exists()


def test_number_events_are_stored_and_acknowledged_without_touching_faxes(webhook):
    number = {"uuid": str(uuid.uuid4()), "number": "+12065550100"}
    response = post_json(webhook, {"event": "fax.v1.number.add", "data": number})
    assert response.status_code == 200
    assert WebhookDelivery.objects.get().outcome == "ignored"
    assert not Fax.objects.exists()


def test_a_multipart_delivery_with_its_attachment_stores_the_pdf(webhook):
    payload = inbound()
    response = post_form(webhook, payload, attachment=PDF, event="fax.inbound")
    assert response.status_code == 200, response.content
    fax = Fax.objects.get(message_id=payload["messageId"])
    assert fax.pdf_state == PdfState.DONE and fax.pdf_fetched_at is not None
    with open_document(fax.pdf_path) as stored:
        assert stored.read() == PDF
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "fax.inbound" and delivery.body_kind == "form"
    assert json.loads(delivery.body) == payload
    assert delivery.attachment_size == len(PDF)
    # The delivery keeps its own name for the file, so either may be deleted alone.
    assert delivery.attachment_path and delivery.attachment_path != fax.pdf_path


def test_the_stored_pdf_is_outside_static_files_and_every_url(webhook, alice_client):
    payload = inbound()
    post_form(webhook, payload, attachment=PDF)
    fax = Fax.objects.get(message_id=payload["messageId"])
    path = (Path(settings.FAX_DOCUMENTS_DIR) / fax.pdf_path).resolve()
    assert path.is_file() and Path(settings.FAX_DOCUMENTS_DIR).resolve() in path.parents
    for public in [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]:
        assert public.resolve() not in path.parents
    assert path.stat().st_mode & 0o077 == 0  # readable by the portal's user only
    for url in (f"/{fax.pdf_path}", f"/{settings.STATIC_URL}{fax.pdf_path}"):
        assert alice_client.get(url).status_code == 404


def test_the_default_documents_directory_is_not_under_static_files():
    from drenfax_portal import settings as project

    documents = Path(project.FAX_DOCUMENTS_DIR).resolve()
    for public in [Path(project.STATIC_ROOT), *map(Path, project.STATICFILES_DIRS)]:
        assert public.resolve() not in [documents, *documents.parents]


def test_a_multipart_delivery_without_attachment_enqueues_the_pdf_fetch_once_stored(
    webhook, tasks, django_capture_on_commit_callbacks
):
    payload = inbound()
    with django_capture_on_commit_callbacks(execute=True):
        assert post_form(webhook, payload).status_code == 200
    fax = Fax.objects.get(message_id=payload["messageId"])
    assert fax.pdf_state == PdfState.WANTED and not fax.pdf_path
    assert [(t.name, t.args) for t in tasks.huey.pending()] == [("pdf_wanted", (fax.pk,))]


def test_a_delivery_with_its_pdf_enqueues_nothing(
    webhook, tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_form(webhook, inbound(), attachment=PDF).status_code == 200
    assert not tasks.names()


def test_a_json_inbound_fax_still_in_progress_wants_no_pdf_yet(webhook):
    payload = inbound(status="processing", pagesComplete=1)
    post_json(webhook, payload)
    assert Fax.objects.get().pdf_state == PdfState.NONE
    post_json(webhook, {**payload, "status": "success", "pagesComplete": 3})
    assert Fax.objects.get().pdf_state == PdfState.WANTED


def test_an_attachment_that_is_not_a_pdf_is_not_stored_but_the_status_applies(webhook):
    payload = inbound()
    response = post_form(webhook, payload, attachment=b"<html>not a pdf</html>")
    assert response.status_code == 200
    fax = Fax.objects.get(message_id=payload["messageId"])
    assert fax.status == "success" and fax.pdf_state == PdfState.WANTED and not fax.pdf_path
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == "applied" and not delivery.attachment_path
    assert "not a PDF" in delivery.error
    assert not list(Path(settings.FAX_DOCUMENTS_DIR).rglob("*.pdf"))


def test_a_later_attachment_fills_in_a_wanted_pdf(webhook):
    payload = inbound()
    post_json(webhook, payload)
    assert Fax.objects.get().pdf_state == PdfState.WANTED
    post_form(webhook, payload, attachment=PDF)
    fax = Fax.objects.get()
    assert fax.pdf_state == PdfState.DONE and fax.pdf_path
    assert WebhookDelivery.objects.order_by("id").last().outcome == "duplicate"
    assert FaxEvent.objects.count() == 1


def test_a_second_attachment_does_not_replace_the_first(webhook):
    payload = inbound()
    post_form(webhook, payload, attachment=PDF)
    first = Fax.objects.get().pdf_path
    post_form(webhook, payload, attachment=PDF + b"% another copy\n")
    assert Fax.objects.get().pdf_path == first


def test_a_raw_multipart_body_like_the_sandbox_sends(webhook):
    payload = inbound()
    boundary = "drenfax-" + uuid.uuid4().hex
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="data"\r\n\r\n'
            f"{json.dumps(payload)}\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="attachment"; filename="fax.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = webhook.post(
        WEBHOOK_URL, body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 200, response.content
    with open_document(Fax.objects.get().pdf_path) as stored:
        assert stored.read() == PDF


def test_a_urlencoded_form_with_a_data_field_is_accepted(webhook):
    payload = fax_payload()
    from urllib.parse import urlencode

    response = webhook.post(
        WEBHOOK_URL,
        urlencode({"data": json.dumps(payload)}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Fax.objects.filter(message_id=payload["messageId"]).exists()


def test_a_large_multipart_attachment_is_accepted_despite_djangos_upload_limits(webhook, settings):
    # The webhook's own cap (DRENFAX_WEBHOOK_MAX_MULTIPART_BYTES) bounds the attachment.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = PDF + b"0" * 3_000_000
    response = post_form(webhook, inbound(), attachment=big)
    assert response.status_code == 200, response.content
    with open_document(Fax.objects.get().pdf_path) as stored:
        assert stored.read() == big


def test_a_data_field_over_djangos_field_limit_is_kept_and_answered_400(webhook, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post_form(webhook, inbound(subject="x" * 2000), attachment=PDF)
    assert response.status_code == 400
    delivery = WebhookDelivery.objects.get()
    assert delivery.body_kind == "unparsed" and "DATA_UPLOAD_MAX_MEMORY_SIZE" in delivery.error


def test_the_unknown_inbound_fax_is_visible_to_the_members_of_its_number(webhook, alice, bob):
    from faxes.selectors import visible_faxes

    make_number("+12065550100", alice)
    make_number("+13125550100", bob)
    payload = inbound()
    post_form(webhook, payload, attachment=PDF, event="fax.inbound")
    fax = Fax.objects.get(message_id=payload["messageId"])
    assert fax.number.number == "+12065550100"
    assert list(visible_faxes(alice)) == [fax]
    assert not visible_faxes(bob).exists()


def test_an_outbound_fax_sent_outside_the_portal_is_created_from_the_payload(webhook, bob):
    make_number("+13125550100", bob)
    payload = fax_payload(
        direction="outbound",
        status="success",
        faxCallerId="3125550100",
        faxNumber="+17185550000",
        pagesComplete=2,
        subject="From the provider's own app",
    )
    post_json(webhook, {"event": "fax.outbound", "data": payload})
    fax = Fax.objects.get(message_id=payload["messageId"])
    assert fax.sent_by is None and fax.number.number == "+13125550100"
    assert fax.subject == "From the provider's own app" and fax.pdf_state == PdfState.NONE
    assert list(fax.events.values_list("status", "note")) == [("success", "first seen")]


def test_unauthenticated_posts_cannot_create_an_unknown_fax():
    post_json(Client(), fax_payload(direction="inbound"))
    assert not Fax.objects.exists()
