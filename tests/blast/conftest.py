"""Fixtures of the blast's tests (builders are in helpers.py)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.conftest import API_URL
from tests.send.helpers import COVER_PAGES


@pytest.fixture(autouse=True)
def _send_at_once(tasks_at_once):
    """A blast's send task runs at once (tests/blast/test_queued.py tests the queue)."""


@pytest.fixture(autouse=True)
def _documents(settings, tmp_path):
    settings.FAX_DOCUMENTS_DIR = tmp_path / "documents"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # cover pages and list readings are cached between requests
    yield
    cache.clear()


@pytest.fixture
def covers(api):
    api.get(f"{API_URL}/coverpages", json=COVER_PAGES)
    return api
