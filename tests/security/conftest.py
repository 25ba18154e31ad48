"""The safeguards' tests; the browser ones reuse tests/browser's Chromium and live portal."""

from __future__ import annotations

import os

import pytest

from tests.browser.conftest import CHROMIUM, browser_type_launch_args, portal  # noqa: F401


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt install chromium)")
    for item in items:
        if "tests/security/" in str(item.fspath) and item.get_closest_marker("browser"):
            if os.environ.get("REQUIRE_BROWSER_TESTS"):
                raise pytest.UsageError(f"REQUIRE_BROWSER_TESTS is set but {CHROMIUM} is missing")
            item.add_marker(skip)
