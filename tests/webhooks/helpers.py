"""Posting to the webhook as the provider would."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from faxes.models import FaxEvent, WebhookDelivery
from tests.factories import fax_payload

WEBHOOK_URL = "/webhooks/drenfax/"
USER, PASSWORD = "drenfax", "s3cret:with-colon"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def basic(user: str = USER, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def inbound(**overrides):
    """A fax received on +12065550100, complete."""
    defaults = {
        "direction": "inbound",
        "status": "success",
        "faxNumber": "+12065550100",
        "faxCallerId": "+17185550111",
        "pagesComplete": 3,
    }
    return fax_payload(**{**defaults, **overrides})


def post_json(client: Client, payload: Any, **extra: Any):
    body = payload if isinstance(payload, bytes | str) else json.dumps(payload)
    return client.post(WEBHOOK_URL, body, content_type="application/json", **extra)


def post_form(client: Client, data: Any, *, attachment: bytes | None = None, **fields: Any):
    """A legacy multipart/form-data delivery: `data` holds the JSON, plus an optional PDF."""
    form: dict[str, Any] = {"data": data if isinstance(data, str) else json.dumps(data), **fields}
    if attachment is not None:
        form["attachment"] = SimpleUploadedFile("fax.pdf", attachment, "application/pdf")
    return client.post(WEBHOOK_URL, form)


def nothing_stored() -> bool:
    return not WebhookDelivery.objects.exists() and not FaxEvent.objects.exists()


def stored_files() -> list[Path]:
    """Every file under the documents directory."""
    root = Path(settings.FAX_DOCUMENTS_DIR)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
