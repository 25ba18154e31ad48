"""Fixtures of the webhook tests: credentials, a private documents directory, the provider."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.webhooks.helpers import PASSWORD, USER, basic


@pytest.fixture(autouse=True)
def _webhook_settings(settings, tmp_path):
    settings.DRENFAX_WEBHOOK_AUTH = f"{USER}:{PASSWORD}"
    settings.FAX_DOCUMENTS_DIR = tmp_path / "documents"
    settings.DEBUG = False


@pytest.fixture
def webhook() -> Client:
    """A client that posts as the provider, with the right credentials."""
    return Client(HTTP_AUTHORIZATION=basic())
