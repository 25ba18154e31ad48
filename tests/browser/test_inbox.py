"""The team inbox in a real browser: staff forward a received fax to a contact and give it
to a member, who marks it done and finds it under Done."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from contacts.models import Contact
from drenfax_portal.api import get_client
from fax_numbers.models import FaxNumber
from faxes.models import Submission
from faxes.services.documents import fax_set_pdf, write_document
from faxes.services.sync import sync_numbers
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD
from tests.factories import make_fax
from tests.send.helpers import pdf_bytes

pytestmark = pytest.mark.browser


def test_a_received_fax_is_forwarded_assigned_and_marked_done(
    portal, browser, staff, alice, settings, tmp_path
):
    live_server, _sandbox = portal
    settings.FAX_DOCUMENTS_DIR = tmp_path / "documents"
    with get_client() as client:
        sync_numbers(client=client)
    number = FaxNumber.objects.order_by("number").first()
    number.assigned_users.add(alice)
    received = make_fax(
        direction="inbound",
        status="success",
        faxNumber=number.number,
        faxCallerId="+17185550111",
        faxCsid="MERCY CLINIC",
    )
    relative, _ = write_document([pdf_bytes(2)])
    fax_set_pdf(received, relative)
    Contact.objects.create(
        name="Dr. Asha Patel", organisation="Northside", fax_number="+12065550142"
    )

    staff_page = browser.new_context().new_page()
    sign_in(staff_page, live_server.url, staff.username, PASSWORD)
    staff_page.goto(f"{live_server.url}/faxes/{received.message_id}/")
    staff_page.select_option("#id_assignee", label="alice")
    staff_page.click("#team button[value=assign]")
    expect(staff_page.locator("#team")).to_contain_text("Assigned to alice")

    staff_page.click("button:has-text('Forward')")
    expect(staff_page.locator(".file-list .file-name")).to_contain_text("fax-received-")
    expect(staff_page.locator("#id_notes")).to_have_value(
        re.compile(r"^Forwarded fax from \(718\) 555-0111")
    )
    staff_page.type("#id_contact", "patel")
    staff_page.locator("#contact-suggestions [data-contact-number]").first.click()
    expect(staff_page.locator("#id_recipients")).to_have_value("+12065550142")
    staff_page.click("button[name=action][value=send]")
    staff_page.wait_for_url(re.compile(r"/faxes/submissions/[0-9a-f-]{36}/$"), timeout=15_000)
    expect(staff_page.locator("#outcome")).to_contain_text("Accepted by Drenfax")
    assert Submission.objects.get().forwarded_from == received
    staff_page.goto(f"{live_server.url}/faxes/{received.message_id}/")
    expect(staff_page.locator("text=Forwarded to")).to_be_visible()

    alice_page = browser.new_context().new_page()
    sign_in(alice_page, live_server.url, "alice", PASSWORD)
    alice_page.goto(f"{live_server.url}/faxes/")
    alice_page.click("nav.tabs >> text=My faxes")
    row = alice_page.locator(f"#fax-{received.message_id}")
    expect(row).to_contain_text("Me")
    row.locator("button[value=done]").click()
    expect(row.locator(".badge-team-done")).to_be_visible()
    alice_page.click("nav.tabs >> text=Done")
    expect(alice_page.locator(f"#fax-{received.message_id}")).to_be_visible()
    expect(alice_page.locator("tbody tr[id^=fax-]")).to_have_count(1)
