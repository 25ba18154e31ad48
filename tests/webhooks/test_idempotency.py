"""The same delivery twice changes the fax once; stale deliveries never move a fax back."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.test import Client

from faxes.models import Fax, FaxEvent, WebhookDelivery
from tests.conftest import API_URL
from tests.factories import fax_payload, make_fax, make_number
from tests.webhooks.helpers import PDF, basic, inbound, post_form, post_json


def outcomes() -> list[str]:
    return list(WebhookDelivery.objects.order_by("id").values_list("outcome", flat=True))


def timeline(fax: Fax) -> list[tuple]:
    return list(fax.events.values_list("status", "pages_complete", "applied"))


@pytest.mark.django_db
def test_the_same_delivery_twice_changes_the_fax_once(webhook):
    payload = fax_payload(status="transmitting", pagesComplete=1)
    first, second = post_json(webhook, payload), post_json(webhook, payload)
    assert first.status_code == second.status_code == 200
    assert outcomes() == ["applied", "duplicate"]
    fax = Fax.objects.get()
    assert timeline(fax) == [("transmitting", 1, True)]


@pytest.mark.django_db
def test_a_minimal_fax_object_twice_is_a_duplicate(webhook):
    # Without createdAt the first report dates the fax; a repeat must not move the date.
    payload = {"messageId": fax_payload()["messageId"], "direction": "inbound", "status": "success"}
    post_json(webhook, payload)
    created = Fax.objects.get().created_at
    post_json(webhook, payload)
    assert outcomes() == ["applied", "duplicate"]
    assert Fax.objects.get().created_at == created


@pytest.mark.django_db
def test_a_duplicate_inbound_delivery_with_attachment_stores_one_pdf_on_the_fax(webhook):
    payload = inbound()
    post_form(webhook, payload, attachment=PDF)
    path = Fax.objects.get().pdf_path
    post_form(webhook, payload, attachment=PDF)
    assert outcomes() == ["applied", "duplicate"]
    fax = Fax.objects.get()
    assert fax.pdf_path == path and FaxEvent.objects.count() == 1


@pytest.mark.django_db
def test_success_then_processing_leaves_success_and_records_the_stale_event(webhook):
    payload = fax_payload(status="processing", pagesComplete=0)
    done = {**payload, "status": "success", "pagesComplete": 3, "resultCode": "0"}
    post_json(webhook, done)
    response = post_json(webhook, payload)
    assert response.status_code == 200 and response.json()["outcome"] == "stale"
    fax = Fax.objects.get()
    assert fax.status == "success" and fax.pages_complete == 3 and fax.result_code == "0"
    assert timeline(fax) == [("success", 3, True), ("processing", 0, False)]
    assert outcomes() == ["applied", "stale"]


@pytest.mark.django_db
def test_pages_three_then_two_keeps_three(webhook):
    payload = fax_payload(status="transmitting")
    post_json(webhook, {**payload, "pagesComplete": 3})
    post_json(webhook, {**payload, "pagesComplete": 2})
    fax = Fax.objects.get()
    assert fax.pages_complete == 3 and fax.status == "transmitting"
    assert timeline(fax) == [("transmitting", 3, True), ("transmitting", 2, False)]


@pytest.mark.django_db
def test_a_stale_delivery_twice_is_recorded_once(webhook):
    payload = fax_payload(status="failed", resultCode="1", pagesComplete=1)
    post_json(webhook, payload)
    late = {**payload, "status": "transmitting", "pagesComplete": 1}
    post_json(webhook, late)
    post_json(webhook, late)
    fax = Fax.objects.get()
    assert fax.status == "failed"
    assert timeline(fax) == [("failed", 1, True), ("transmitting", 1, False)]
    assert outcomes() == ["applied", "stale", "stale"]


@pytest.mark.django_db
def test_a_terminal_status_is_never_replaced_by_another_terminal_status(webhook):
    fax = make_fax(status="cancelled")
    post_json(webhook, fax_payload(messageId=str(fax.message_id), status="success"))
    fax.refresh_from_db()
    assert fax.status == "cancelled"


@pytest.mark.django_db
def test_events_in_any_order_end_in_the_same_state(webhook):
    base = fax_payload(status="processing", pagesComplete=0)
    steps = [
        {**base},
        {**base, "status": "transmitting", "pagesComplete": 1},
        {**base, "status": "transmitting", "pagesComplete": 2},
        {**base, "status": "success", "pagesComplete": 3},
    ]
    for step in reversed(steps):
        post_json(webhook, step)
    fax = Fax.objects.get()
    assert fax.status == "success" and fax.pages_complete == 3
    assert fax.events.filter(applied=True).count() == 1


def _race(bodies: list, threads_per_body: int = 4) -> list[int]:
    """Post every body from several threads at once; returns the status codes."""
    barrier = threading.Barrier(len(bodies) * threads_per_body)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def deliver(body):
        try:
            client = Client(HTTP_AUTHORIZATION=basic())
            barrier.wait(timeout=30)
            statuses.append(post_json(client, body).status_code)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=deliver, args=(body,))
        for body in bodies
        for _ in range(threads_per_body)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return statuses


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("direction", ["inbound", "outbound"])  # inserted first; looked up first
def test_identical_deliveries_racing_create_one_fax_and_one_event(direction):
    if direction == "inbound":
        payload = inbound()
    else:
        payload = fax_payload(status="success", pagesComplete=3, pagesCount=3)
    assert _race([payload], threads_per_body=6) == [200] * 6
    fax = Fax.objects.get()
    assert timeline(fax) == [("success", 3, True)]
    assert sorted(outcomes()) == ["applied"] + ["duplicate"] * 5
    assert fax.pdf_state == ("wanted" if direction == "inbound" else "")


@pytest.mark.django_db(transaction=True)
def test_identical_updates_racing_apply_once():
    fax = make_fax(status="processing", pagesComplete=0)
    stale = dict(fax.raw)  # what the cache already holds: a duplicate now, stale later
    update = {**stale, "status": "transmitting", "pagesComplete": 2}
    assert _race([update, stale], threads_per_body=4) == [200] * 8
    fax.refresh_from_db()
    assert fax.status == "transmitting" and fax.pages_complete == 2
    assert fax.events.filter(applied=True).count() == 2  # first seen + the update
    assert fax.events.filter(applied=False).count() <= 1
    assert outcomes().count("applied") == 1


@pytest.fixture
def received(alice):
    make_number("+12065550100", alice)
    payload = inbound()
    make_fax(**payload)
    return payload


@pytest.mark.django_db
def test_a_delivery_retried_after_a_delete_leaves_the_fax_deleted(
    alice_client, api, webhook, received
):
    mid = received["messageId"]
    api.delete(f"{API_URL}/v1/fax/{mid}", body="OK")
    alice_client.post(f"/faxes/{mid}/delete/")
    post_json(webhook, received)  # sent before the delete, retried hours later
    assert Fax.objects.get(message_id=mid).deleted_at is not None
    assert alice_client.get(f"/faxes/{mid}/").status_code == 404


@pytest.mark.django_db
def test_a_delivery_retried_after_an_archive_leaves_the_fax_archived(
    alice_client, api, webhook, received
):
    mid = received["messageId"]
    api.patch(f"{API_URL}/v1/fax/{mid}", json={**received, "isArchived": True})
    alice_client.post(f"/faxes/{mid}/archive/", {"archived": "1"})
    post_json(webhook, received)
    assert Fax.objects.get(message_id=mid).is_archived
