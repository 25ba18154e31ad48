"""Staff find, add and assign a number; the member then works with it, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from fax_numbers.models import FaxNumber
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_staff_provision_and_assign_a_number_that_the_member_then_sees(
    portal, browser, staff, alice
):
    live_server, sandbox = portal
    base = live_server.url

    admin = browser.new_page()
    sign_in(admin, base, "staffer", PASSWORD)
    admin.goto(f"{base}/numbers/search/")
    admin.fill("#id_npa", "206")
    admin.click("#search-area button[type=submit]")  # htmx swaps in the results
    admin.wait_for_url(re.compile(r"npa=206"))
    first = admin.locator("input[name=numbers]").first
    expect(first).to_be_visible()
    e164 = first.get_attribute("value")
    first.check()
    admin.click("text=Review the ticked numbers")
    expect(admin.locator("main")).to_contain_text(e164)  # the confirmation lists it
    admin.click("button[data-once]")
    admin.wait_for_url(re.compile(r"/numbers/provision/[0-9a-f-]{36}/$"))
    expect(admin.locator("#outcome")).to_contain_text("Assign people")
    admin.click("#outcome a:has-text('Assign people')")
    admin.wait_for_url(re.compile(r"/numbers/[0-9a-f-]{36}/$"))
    option = admin.locator("#people select option", has_text="alice")
    admin.select_option("#people select", value=option.get_attribute("value"))
    admin.click("text=Give them this number")
    # The list of people (not the picker, which names everyone) now holds Alice.
    expect(admin.locator("#people ul.people")).to_contain_text("alice")
    number = FaxNumber.objects.get(number=e164)
    assert list(number.assigned_users.all()) == [alice]

    # A fax arrives on it; the member signs in and finds the number and the fax.
    inbound = sandbox.inbound(to=e164, pages=1)
    member = browser.new_page()
    sign_in(member, base, "alice", PASSWORD)
    member.goto(f"{base}/numbers/")
    expect(member.locator("main")).to_contain_text(number.national)
    member.goto(f"{base}/faxes/?direction=inbound")
    expect(member.locator(f"#fax-{inbound['messageId']}")).to_be_visible(timeout=20_000)
