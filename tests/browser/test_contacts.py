"""The contacts book in a real browser: staff import a list, a member sends to a contact."""

from __future__ import annotations

import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from contacts.models import Contact
from drenfax_portal.api import get_client
from fax_numbers.models import FaxNumber
from faxes.models import Fax
from faxes.services.sync import sync_numbers
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def contacts_workbook(path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "Organisation", "Fax number", "Tags"])
    for n in range(20):
        sheet.append([f"Dr. Office {n:02}", f"Clinic {n:02}", f"(206) 555-01{n:02}", "referrals"])
    sheet.append(["Dr. Nowhere", "Lost Clinic", "555-12", ""])  # the bad row
    book.save(path)


def test_staff_import_twenty_contacts_from_excel_with_one_bad_row(portal, page, staff, tmp_path):
    live_server, _sandbox = portal
    workbook = tmp_path / "contacts.xlsx"
    contacts_workbook(workbook)
    sign_in(page, live_server.url, staff.username, PASSWORD)
    page.goto(f"{live_server.url}/contacts/")
    page.click("text=Import")
    page.set_input_files("#id_file", str(workbook))
    page.click("button:has-text('Read the list')")
    expect(page.locator("h2#preview-title")).to_contain_text("20 of 21 rows can be imported")
    expect(page.locator("tr.row-bad")).to_contain_text("Dr. Nowhere")
    expect(page.locator("tr.row-bad")).to_contain_text("Left out")
    page.click("button:has-text('Import 20 contacts')")
    expect(page.locator(".messages")).to_contain_text("20 added, 0 updated")
    expect(page.locator("#results")).to_contain_text("20 contacts")
    assert Contact.objects.count() == 20


def test_a_member_sends_to_a_contact_found_by_part_of_its_name(portal, page, alice):
    live_server, _sandbox = portal
    with get_client() as client:
        sync_numbers(client=client)
    FaxNumber.objects.order_by("number").first().assigned_users.add(alice)
    Contact.objects.create(
        name="Dr. Asha Patel", organisation="Northside", fax_number="+12065550142"
    )
    Contact.objects.create(name="Eastside Lab", fax_number="+13125550199")

    sign_in(page, live_server.url, "alice", PASSWORD)
    page.goto(f"{live_server.url}/faxes/send/")
    page.fill("#id_contact", "")
    page.type("#id_contact", "pate")
    expect(page.locator("#contact-suggestions [data-contact-number]")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#id_recipients")).to_have_value("+12065550142")
    expect(page.locator("#id_recipient_name")).to_have_value("Dr. Asha Patel")
    expect(page.locator("#recipients-check")).to_contain_text("1 number ready")
    page.check("input[name=cover_page][value=default]")
    page.click("button[name=action][value=send]")
    page.wait_for_url(re.compile(r"/faxes/submissions/[0-9a-f-]{36}/$"), timeout=15_000)
    expect(page.locator("#outcome")).to_contain_text("Accepted by Drenfax")
    fax = Fax.objects.get(fax_number="+12065550142")
    assert fax.recipient_name == "Dr. Asha Patel"
