"""Browser tests: Playwright for Python driving Debian's Chromium against a live portal."""

from __future__ import annotations

import os
import shutil

import pytest
from playwright.sync_api import expect

# pytest-django's live_server runs the portal in a thread; Playwright's sync API runs an
# event loop in this one, which Django would otherwise take for async code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# CI machines are small and busy (two database lanes, a sandbox, a live server and Chromium on
# two cores): give every expectation room beyond Playwright's 5 s default.
expect.set_options(timeout=15_000)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    if os.environ.get("REQUIRE_BROWSER_TESTS"):
        raise pytest.UsageError(f"REQUIRE_BROWSER_TESTS is set but {CHROMIUM} is missing")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt install chromium)")
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture
def portal(live_server, settings, transactional_db):
    """The live portal wired to a fresh sandbox whose webhooks reach it."""
    from drenfax_portal.sandbox import start_sandbox

    auth = "hooks:browser-test-secret"
    settings.DRENFAX_WEBHOOK_AUTH = auth
    with start_sandbox(
        strict=True,
        speed=30,
        history_rate="100/60",
        webhook_url=f"{live_server.url}/webhooks/drenfax/",
        webhook_auth=auth,
    ) as sandbox:
        settings.DRENFAX_API_URL = sandbox.url
        settings.DRENFAX_API_KEY = sandbox.api_key
        settings.DRENFAX_ACCOUNT_ID = sandbox.account_id
        settings.DRENFAX_HISTORY_RATE = (100, 60.0)
        yield live_server, sandbox


def sign_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
