"""The home page in a real browser: figures, the chart, and an unread fax arriving live."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from drenfax_portal.api import get_client
from fax_numbers.models import FaxNumber
from faxes.services.sync import sync_faxes_step, sync_numbers
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_the_home_page_shows_its_chart_and_a_new_fax_raises_the_unread_count(portal, page, alice):
    live_server, sandbox = portal
    sandbox.seed(30, days=5, seed=5)
    with get_client() as client:
        sync_numbers(client=client)
        number = FaxNumber.objects.order_by("number").first()
        number.assigned_users.add(alice)
        sync_faxes_step(client=client, account_id=sandbox.account_id)

    sign_in(page, live_server.url, "alice", PASSWORD)
    chart = page.locator("svg[role=img]")
    expect(chart).to_be_visible()
    assert chart.locator("title").count() >= 1
    count = page.locator("#inbox .unread-count")
    before = int(count.get_attribute("data-count"))

    # A fax arrives on Alice's number; its webhook reaches the portal; the page updates.
    arrived = sandbox.inbound(to=number.number, pages=2)
    expect(count).to_have_attribute("data-count", str(before + 1), timeout=25_000)
    expect(page.locator("#inbox")).to_contain_text(arrived["faxCallerId"][-4:])
    assert page.url == f"{live_server.url}/"
