"""In Chromium: the main pages work under the CSP without a single violation, hostile strings
stay text, polling is marked as such, and an open tab that only polls is signed out."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from drenfax_portal.api import get_client
from fax_numbers.models import FaxNumber
from faxes.models import Fax
from faxes.services.sync import sync_faxes_step, sync_numbers
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD
from tests.factories import make_fax
from tests.send.helpers import pdf_bytes

pytestmark = pytest.mark.browser

# Collects CSP violations as the page reports them (Playwright's init scripts are not
# subject to the page's CSP, so this sees what the page's own code would trigger).
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def watch(page) -> list[str]:
    problems: list[str] = []
    page.add_init_script(WATCH_CSP)
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type in ("error", "warning")
            and ("Content Security Policy" in m.text or "Refused" in m.text)
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    return problems


def violations(page) -> list[str]:
    return page.evaluate("window.__csp || []")


def seed(sandbox, *users) -> None:
    sandbox.seed(12, days=2, seed=3)
    with get_client() as client:
        sync_numbers(client=client)
        for number in FaxNumber.objects.all():
            number.assigned_users.add(*users)
        sync_faxes_step(client=client, account_id=sandbox.account_id)


def test_the_main_pages_work_under_the_csp_without_violations(portal, page, staff, tmp_path):
    live_server, sandbox = portal
    seed(sandbox, staff)
    problems = watch(page)
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    assert violations(page) == []
    # htmx 2 took its settings from the page's <meta name="htmx-config">.
    config = "[htmx.config.selfRequestsOnly, htmx.config.allowEval, htmx.config.allowScriptTags]"
    assert page.evaluate(config) == [True, False, False]
    sign_in(page, base, "staffer", PASSWORD)

    page.goto(f"{base}/faxes/")
    expect(page.locator("tbody tr[id^=fax-]").first).to_be_visible()
    page.select_option("#id_direction", "inbound")  # an htmx swap
    page.wait_for_url(re.compile(r"direction=inbound"))
    assert violations(page) == []

    fax = Fax.objects.filter(direction="inbound", is_file_purged=False).first()
    page.goto(f"{base}/faxes/{fax.message_id}/")
    expect(page.locator("iframe.pdf-frame")).to_be_visible()
    page.wait_for_timeout(1500)  # Chromium's PDF viewer loads inside the frame
    # The document loaded in the frame (frame-ancestors 'self'), and the viewer within it.
    assert any(f.url.endswith(f"/faxes/{fax.message_id}/pdf") for f in page.frames)
    assert any(f.url.startswith("chrome-extension://") for f in page.frames)
    assert violations(page) == []

    document = tmp_path / "letter.pdf"
    document.write_bytes(pdf_bytes(1))
    page.goto(f"{base}/faxes/send/")
    page.set_input_files("#id_attachments", str(document))  # portal.js upload with progress
    expect(page.locator(".file-list .file-name")).to_have_count(1)
    page.fill("#id_subject", "Counter check")  # the live character counter
    assert violations(page) == []

    number = FaxNumber.objects.order_by("number").first()
    for url in (
        "/",
        "/accounts/notifications/",
        "/faxes/blast/",
        "/numbers/",
        "/numbers/search/",
        "/numbers/validate/",
        f"/numbers/{number.uuid}/",
        "/numbers/team/",
        "/audit/",
        "/audit/lockouts/",
        "/accounts/two-factor/",
        "/accounts/two-factor/setup/",
    ):
        response = page.goto(f"{base}{url}")
        assert response.status == 200, url
        assert violations(page) == [], url
    expect(page.locator(".qr svg")).to_be_visible()
    assert problems == []


SCRIPT = "<script>alert('csid')</script>"
IMG = '<img src=x onerror="alert(1)">'


def test_hostile_strings_stay_text_and_no_dialog_opens(portal, page, alice):
    live_server, _sandbox = portal
    FaxNumber.objects.create(uuid="5e0d6a4e-1111-4c55-8a6e-1f2d3c4b5a69", number="+12065550100")
    FaxNumber.objects.get().assigned_users.add(alice)
    fax = make_fax(
        direction="inbound",
        status="success",
        faxNumber="+12065550100",
        faxCsid=SCRIPT,
        subject=IMG,
        tags=[SCRIPT],
        cf={IMG: SCRIPT},
        isFilePurged=True,
    )
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    problems = watch(page)
    sign_in(page, live_server.url, "alice", PASSWORD)
    page.goto(f"{live_server.url}/faxes/")
    expect(page.locator(f"#fax-{fax.message_id}")).to_contain_text(IMG[:20])
    page.goto(f"{live_server.url}/faxes/{fax.message_id}/")
    expect(page.locator("#fax-status")).to_contain_text(SCRIPT)
    expect(page.locator("#fax-status")).to_contain_text(IMG)
    assert page.locator("#main img").count() == 0
    page.wait_for_timeout(500)
    assert dialogs == []
    assert problems == [] and violations(page) == []


def test_polls_are_marked_and_an_open_tab_that_only_polls_is_signed_out(
    portal, page, alice, settings
):
    from drenfax_portal.client import DrenfaxClient
    from faxes.services.cache import fax_merge_payloads

    live_server, sandbox = portal
    with DrenfaxClient(sandbox.url, sandbox.api_key) as client:
        later = datetime(2099, 1, 1, tzinfo=UTC)  # scheduled: it polls until then
        sent = client.send_fax("+12065550123", cover_page=True, scheduled_date=later)
    fax_merge_payloads([sent.raw], source="portal", sent_by=alice)
    polls: list[dict] = []
    page.on(
        "request",
        lambda r: (
            polls.append(r.headers) if "/faxes/" in r.url and r.headers.get("hx-request") else None
        ),
    )
    sign_in(page, live_server.url, "alice", PASSWORD)
    page.goto(f"{live_server.url}/faxes/{sent.message_id}/")
    page.wait_for_timeout(3500)  # the status section polls every 3 seconds
    assert polls and all(h.get("x-portal-poll") == "1" for h in polls)

    settings.IDLE_TIMEOUT_MINUTES = 0.1  # six seconds; the tab only polls from now on
    page.wait_for_url(re.compile(r"/accounts/login/\?next="), timeout=20_000)
    expect(page.locator("body")).to_contain_text("signed out after")
