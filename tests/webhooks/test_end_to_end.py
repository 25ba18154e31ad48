"""End to end: the sandbox's webhooks drive the portal's cached fax status."""

from __future__ import annotations

import time

import pytest

from drenfax_portal.client import DrenfaxClient
from drenfax_portal.sandbox import start_sandbox
from faxes.models import Fax, FaxEvent, WebhookDelivery
from faxes.services.cache import fax_merge_payloads
from tests.webhooks.helpers import PASSWORD, USER

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def provider(live_server):
    with start_sandbox(
        strict=True,
        speed=40,
        webhook_url=f"{live_server.url}/webhooks/drenfax/",
        webhook_auth=f"{USER}:{PASSWORD}",
    ) as sandbox:
        yield sandbox


@pytest.fixture
def legacy_provider(live_server):
    with start_sandbox(
        strict=True,
        speed=40,
        webhook_url=f"{live_server.url}/webhooks/drenfax/",
        webhook_auth=f"{USER}:{PASSWORD}",
        webhook_format="multipart",
    ) as sandbox:
        yield sandbox


def send_and_settle(sandbox, number="+12065550123"):
    with DrenfaxClient(sandbox.url, sandbox.api_key) as client:
        sent = client.send_fax(number, cover_page=True, subject="Webhook test")
    fax_merge_payloads([sent.raw], source="portal")
    sandbox.wait_for_fax(sent.message_id)
    deadline = time.monotonic() + 15
    while not sandbox.wait_webhooks_idle(timeout=1) and time.monotonic() < deadline:
        pass
    return Fax.objects.get(message_id=sent.message_id)


def applied_statuses(fax):
    return list(
        fax.events.filter(applied=True)
        .exclude(note="first seen")
        .values_list("status", "pages_complete")
    )


def test_webhooks_drive_a_fax_to_success(provider):
    fax = send_and_settle(provider)
    assert fax.status == "success" and fax.pages_complete == fax.pages_count
    statuses = [s for s, _ in applied_statuses(fax)]
    assert statuses[-1] == "success" and "transmitting" in statuses
    assert WebhookDelivery.objects.filter(fax=fax, outcome="applied").exists()


def test_a_busy_number_ends_failed_through_webhooks(provider):
    fax = send_and_settle(provider, "+12065550001")
    assert fax.status == "failed" and fax.error_info


def test_duplicate_and_out_of_order_deliveries_change_nothing(provider):
    provider.add_fault(webhook="duplicate", count=50)
    provider.add_fault(webhook="out_of_order", count=50)
    fax = send_and_settle(provider)
    assert fax.status == "success" and fax.pages_complete == fax.pages_count
    applied = applied_statuses(fax)
    assert len(applied) == len(set(applied))  # each change once
    pages = [p or 0 for _, p in applied]
    assert pages == sorted(pages)  # never backwards
    assert WebhookDelivery.objects.filter(fax=fax, outcome="duplicate").exists()
    assert (
        not FaxEvent.objects.filter(fax=fax, applied=True, status="processing")
        .exclude(note="first seen")
        .filter(at__gt=fax.events.filter(status="success").first().at)
        .exists()
    )


@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_an_inbound_fax_reaches_the_member_of_its_number(request, fmt, alice):
    from fax_numbers.models import FaxNumber
    from fax_numbers.phone import to_e164
    from faxes.selectors import visible_faxes

    provider = request.getfixturevalue("provider" if fmt == "json" else "legacy_provider")
    with DrenfaxClient(provider.url, provider.api_key) as client:
        number = client.list_numbers().rows[0]
    cached = FaxNumber.objects.create(uuid=number.uuid, number=to_e164(number.number))
    cached.assigned_users.add(alice)
    inbound = provider.inbound(to=cached.number, pages=2)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        fax = Fax.objects.filter(message_id=inbound["messageId"], status="success").first()
        if fax:
            break
        time.sleep(0.2)
    assert fax is not None and fax.number == cached
    assert visible_faxes(alice).filter(pk=fax.pk).exists()
    if fmt == "multipart":  # the legacy format carries the PDF itself
        assert fax.pdf_path and fax.pdf_state == "done"
    else:  # the worker fetches it later, outside the webhook request
        assert not fax.pdf_path and fax.pdf_state == "wanted"
