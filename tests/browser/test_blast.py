"""A member sends a fax blast from an Excel list, in a real browser."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_a_member_fills_in_the_template_reviews_the_list_and_sends_the_blast(
    portal, page, alice, tmp_path, tasks
):
    live_server, sandbox = portal
    sign_in(page, live_server.url, "alice", PASSWORD)
    page.click("nav.mainnav >> text=Blast")
    expect(page.locator("h1")).to_have_text("Fax blast")

    with page.expect_download() as download:
        page.click("text=Download the template (.xlsx)")
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)

    workbook = load_workbook(template)
    sheet = workbook["Recipients"]
    sheet.delete_rows(2)  # the example row
    for row in [
        ["(206) 555-0123", "Dr. Lee"],
        ["+1 206 555 0002", "No-answer clinic"],  # the sandbox fails numbers ending in 0002
        ["555-01", "Typo clinic"],
        ["+44 20 7946 0000", "London office"],
    ]:
        sheet.append(row)
    filled = tmp_path / "clinics.xlsx"
    workbook.save(filled)

    page.set_input_files("#id_workbook", str(filled))
    page.click("text=Read the list")
    page.wait_for_url(re.compile(r"/faxes/blast/[0-9a-f-]{36}/$"))
    expect(page.locator("#totals")).to_contain_text("3 recipients will receive the fax")
    expect(page.locator("#totals")).to_contain_text("1 row left out (1 bad number)")
    bad = page.locator("#left-out tbody tr")
    expect(bad).to_have_count(1)
    expect(bad).to_contain_text("555-01")
    expect(bad).to_contain_text("Typo clinic")
    expect(bad).to_contain_text("Bad number")
    expect(page.locator("#recipients tbody tr")).to_have_count(3)

    page.click("button[name=action][value=preview]")
    expect(page.locator("iframe[src*='/faxes/send/preview/']")).to_be_visible(timeout=15_000)

    page.click("text=Send the blast to 3 recipients")
    page.wait_for_url(re.compile(r"/faxes/submissions/[0-9a-f-]{36}/$"), timeout=20_000)
    expect(page.locator("#outcome")).to_contain_text("Waiting to be sent")
    assert tasks.run() == 1  # the consumer takes it; the page follows on its own
    expect(page.locator("#outcome")).to_contain_text("Accepted by Drenfax", timeout=10_000)
    expect(page.locator("#outcome tbody tr")).to_have_count(3)
    expect(page.locator("#outcome")).to_contain_text("clinics.xlsx")

    page.goto(f"{live_server.url}/faxes/?direction=outbound")
    expect(page.locator("tbody tr[id^=fax-]")).to_have_count(3)
    expect(page.locator("tbody .badge-success")).to_have_count(2, timeout=20_000)
    expect(page.locator("tbody .badge-failed")).to_have_count(1, timeout=20_000)
    expect(page.locator("tbody")).to_contain_text("Dr. Lee")
    calls = sandbox.stats()["calls"]
    assert calls.get("POST /v1/fax/blast") == 1
    assert sandbox.stats()["faxes"]["total"] == 3
