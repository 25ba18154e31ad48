"""A member sends a fax from the send form, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from drenfax_portal.api import get_client
from fax_numbers.models import FaxNumber
from faxes.services.sync import sync_numbers
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD
from tests.send.helpers import pdf_bytes

pytestmark = pytest.mark.browser


def test_a_member_uploads_reorders_previews_and_sends_to_two_numbers(portal, page, alice, tmp_path):
    live_server, sandbox = portal
    with get_client() as client:
        sync_numbers(client=client)
    FaxNumber.objects.order_by("number").first().assigned_users.add(alice)
    first, second = tmp_path / "first.pdf", tmp_path / "second.pdf"
    first.write_bytes(pdf_bytes(1))
    second.write_bytes(pdf_bytes(2))

    sign_in(page, live_server.url, "alice", PASSWORD)
    page.goto(f"{live_server.url}/faxes/send/")
    page.fill("#id_recipients", "(206) 555-0123, 206-555-0001")
    # The check shows while the field still has focus: it must not land (and move the
    # buttons below it) on the next click, which would then miss its target.
    expect(page.locator("#recipients-check")).to_contain_text("2 numbers ready")
    page.set_input_files("#id_attachments", [str(first), str(second)])
    files = page.locator(".file-list .file-name")
    expect(files).to_have_count(2)
    expect(files.nth(0)).to_contain_text("first.pdf")
    page.locator(".file-list [data-file-action=down]").first.click()
    expect(files.nth(0)).to_contain_text("second.pdf")
    page.check("input[name=cover_page][value=default]")
    page.fill("#id_subject", "Browser send")

    page.click("button[name=action][value=preview]")
    expect(page.locator("iframe[src*='/faxes/send/preview/']")).to_be_visible(timeout=15_000)

    page.click("button[name=action][value=send]")
    page.wait_for_url(re.compile(r"/faxes/submissions/[0-9a-f-]{36}/$"), timeout=15_000)
    expect(page.locator("#outcome")).to_contain_text("Accepted by Drenfax")
    expect(page.locator("#outcome tbody tr")).to_have_count(2)

    page.goto(f"{live_server.url}/faxes/?direction=outbound")
    rows = page.locator("tbody tr[id^=fax-]")
    expect(rows).to_have_count(2)
    expect(page.locator("tbody .badge-success")).to_have_count(1, timeout=20_000)
    expect(page.locator("tbody .badge-failed")).to_have_count(1, timeout=20_000)
    request = sandbox.stats()["calls"]
    assert request.get("POST /v1/faxes/multiple") == 1 and "POST /v1/faxes" not in request
