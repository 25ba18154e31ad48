"""A member finds a fax, reads it and archives it, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from drenfax_portal.api import get_client
from fax_numbers.models import FaxNumber
from faxes.services.sync import sync_faxes_step, sync_numbers
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_filter_open_read_and_archive_a_fax(portal, page, alice):
    live_server, sandbox = portal
    sandbox.seed(60, days=5, seed=7)
    with get_client() as client:
        sync_numbers(client=client)
        for number in FaxNumber.objects.all():
            number.assigned_users.add(alice)
        sync_faxes_step(client=client, account_id=sandbox.account_id)

    sign_in(page, live_server.url, "alice", PASSWORD)
    page.goto(f"{live_server.url}/faxes/")
    rows = page.locator("tbody tr[id^=fax-]")
    expect(rows.first).to_be_visible()

    # Filtering swaps the table through htmx and pushes the filter into the URL.
    page.select_option("#id_status", "success")
    page.wait_for_url(re.compile(r"status=success"))
    expect(page.locator("tbody .badge-failed")).to_have_count(0)
    expect(rows.first.locator(".badge-success")).to_be_visible()

    rows.first.locator("a").first.click()
    page.wait_for_url(re.compile(r"/faxes/[0-9a-f-]{36}/$"))
    message_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    frame = page.locator("iframe.pdf-frame")
    expect(frame).to_have_attribute("src", f"/faxes/{message_id}/pdf")
    pdf = page.request.get(f"{live_server.url}/faxes/{message_id}/pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")

    page.click("button:has-text('Archive')")
    expect(page.locator(".messages")).to_contain_text("Fax archived")
    page.goto(f"{live_server.url}/faxes/")
    expect(page.locator(f"#fax-{message_id}")).to_have_count(0)
    page.goto(f"{live_server.url}/faxes/?archived=yes")
    expect(page.locator(f"#fax-{message_id}")).to_have_count(1)


def test_a_new_fax_appears_and_turns_final_without_a_reload(portal, page, alice):
    from drenfax_portal.client import DrenfaxClient
    from faxes.services.cache import fax_merge_payloads

    live_server, sandbox = portal
    sign_in(page, live_server.url, "alice", PASSWORD)
    page.goto(f"{live_server.url}/faxes/")
    expect(page.locator("tbody")).to_contain_text("No faxes match")

    with DrenfaxClient(sandbox.url, sandbox.api_key) as client:
        sent = client.send_fax("+12065550123", cover_page=True, subject="Live update")
    fax_merge_payloads([sent.raw], source="portal", sent_by=alice)

    row = page.locator(f"#fax-{sent.message_id}")
    expect(row).to_be_visible(timeout=20_000)
    expect(row.locator(".badge-success")).to_be_visible(timeout=20_000)
    assert page.url == f"{live_server.url}/faxes/"
