"""Fixtures of the blast's tests (builders are in helpers.py)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.conftest import API_URL
from tests.send.helpers import COVER_PAGES


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
