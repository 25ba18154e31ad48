"""Against a sandbox in --strict mode (it refuses what the real service may refuse), every
call that carries the provider's field names works from the pages: a one-recipient send, a
resend, a cancel and a release. (A multi-send and a blast have their own browser tests, on
the same strict sandbox.)"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from drenfax_portal.api import get_client
from fax_numbers.models import FaxNumber
from faxes.services.sync import sync_numbers
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def send_one(page, base: str, number: str, *, subject: str, scheduled: str = "") -> str:
    """Send a cover-page fax to one number from the send form; the new fax's page URL."""
    page.goto(f"{base}/faxes/send/")
    page.fill("#id_recipients", number)
    expect(page.locator("#recipients-check")).to_contain_text("1 number ready")
    page.check("input[name=cover_page][value=default]")
    page.fill("#id_subject", subject)
    if scheduled:
        page.fill("#id_scheduled_at", scheduled)
    page.click("button[name=action][value=send]")
    page.wait_for_url(re.compile(r"/faxes/submissions/[0-9a-f-]{36}/$"))
    expect(page.locator("#outcome")).to_contain_text("Accepted by Drenfax")
    return page.locator("#outcome tbody a[href^='/faxes/']").first.get_attribute("href")


def test_single_send_resend_cancel_and_release_work_against_the_strict_sandbox(
    portal, browser, alice, staff
):
    live_server, sandbox = portal
    assert sandbox.info()["strict"] is True
    base = live_server.url
    with get_client() as client:
        sync_numbers(client=client)
    ours = FaxNumber.objects.order_by("number")
    ours.first().assigned_users.add(alice)

    page = browser.new_page()
    sign_in(page, base, "alice", PASSWORD)
    fax_url = send_one(page, base, "(206) 555-0123", subject="One recipient")
    calls = sandbox.stats()["calls"]
    assert calls.get("POST /v1/faxes") == 1 and "POST /v1/faxes/multiple" not in calls

    page.goto(base + fax_url)
    expect(page.locator("#fax-status .badge-success")).to_be_visible(timeout=20_000)
    page.fill("#id_recipient", "(206) 555-0124")
    page.click("text=Resend this fax")
    page.wait_for_url(re.compile(r"/faxes/submissions/[0-9a-f-]{36}/$"))
    expect(page.locator("#outcome")).to_contain_text("Accepted by Drenfax")
    expect(page.locator("#outcome")).to_contain_text("(206) 555-0124")
    assert sandbox.stats()["calls"].get("POST /v1/fax/resend") == 1

    later = (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    scheduled_url = send_one(page, base, "(206) 555-0125", subject="Later", scheduled=later)
    page.goto(base + scheduled_url)
    expect(page.locator("#fax-status")).to_contain_text("Scheduled")
    page.click("text=Cancel sending")
    expect(page.locator("main")).to_contain_text("Fax cancelled.")
    expect(page.locator("#fax-status .badge-cancelled")).to_be_visible()

    number = ours.last()
    admin = browser.new_page()
    sign_in(admin, base, "staffer", PASSWORD)
    admin.goto(f"{base}/numbers/{number.uuid}/release/")
    admin.fill("#id_typed", number.national)
    admin.click("text=Release the number")
    expect(admin.locator("main")).to_contain_text("was released")
    number.refresh_from_db()
    assert number.state == FaxNumber.State.PENDING

    refused = sandbox.stats()["responses"]
    assert not any("400" in by_status for by_status in refused.values()), refused
