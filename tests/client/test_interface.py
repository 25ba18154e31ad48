"""The public interface is exactly the one issue 3 (and the README) promise."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import drenfax_portal.client as client_module
from drenfax_portal.client import DrenfaxClient

SEND_KEYWORDS = (
    "attachments=(), cover_page=False, cover_page_id=None, tags=(), "
    "recipient_name=None, sender_name=None, subject=None, caller_id=None, notes=None, "
    "custom_fields=None, scheduled_date=None, webhook_id=None"
)

# The table, parameter for parameter (issue 19: one number on a single send).
PROMISED = {
    "send_fax": f"(fax_number, *, {SEND_KEYWORDS})",
    "send_multiple": (
        "(recipients, *, attachments=(), cover_page=False, cover_page_id=None, "
        "recipient_contacts=(), tags=(), recipient_name=None, sender_name=None, subject=None, "
        "caller_id=None, notes=None, custom_fields=None, scheduled_date=None, webhook_id=None)"
    ),
    "resend_fax": "(message_id, *, recipient_fax=None)",
    "preview_fax": (
        "(*, attachments=(), cover_page=False, cover_page_id=None, recipient_name=None, "
        "sender_name=None, subject=None, caller_id=None, notes=None)"
    ),
    "send_blast": "(recipients_file, *, cover_page=False, cover_page_id=None)",
    "cancel_fax": "(message_id)",
    "update_fax": "(message_id, *, is_archived)",
    "download_fax": "(message_id, *, to=None)",
    "fax_history": (
        "(account_id, *, offset=0, limit=10, direction='all', status='all', from_date=None, "
        "to_date=None, user_id=None, query=None, tags=(), is_archived=None, include=())"
    ),
    "fax_info": "(message_id)",
    "delete_fax": "(message_id)",
    "cover_pages": "()",
    "list_numbers": "(*, account_id=None, type=None, offset=0, limit=30, query=None)",
    "add_number_user": "(number_id, user_id)",
    "remove_number_user": "(number_id, user_id)",
    "provision_numbers": "(type, *, numbers=(), quantity=None, account_id=None, storage=None)",
    "search_numbers": "(*, npa=None, nxx=None, state=None, city=None, zipcode=None, limit=None)",
    "update_number": "(number_id, *, storage=None, managed_by=None)",
    "release_number": "(number_id)",
    "validate_number": "(number, country='US')",
}


def unannotated(function) -> str:
    signature = inspect.signature(function)
    parameters = [
        p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()
    ]
    return str(
        signature.replace(parameters=parameters[1:], return_annotation=inspect.Signature.empty)
    )


@pytest.mark.parametrize(("name", "signature"), PROMISED.items())
def test_method_has_the_promised_signature(name, signature):
    assert unannotated(getattr(DrenfaxClient, name)) == signature


def test_there_are_twenty_public_methods():
    public = {
        name
        for name, _ in inspect.getmembers(DrenfaxClient, inspect.isfunction)
        if not name.startswith("_")
    }
    assert public - {"close"} == set(PROMISED)
    assert len(PROMISED) == 20


def test_constructor_has_the_promised_leading_parameters():
    parameters = list(inspect.signature(DrenfaxClient).parameters.values())
    assert [p.name for p in parameters] == ["base_url", "api_key", "timeout", "session", "retries"]
    assert parameters[2].default == (5, 60)
    assert parameters[3].default is None
    assert parameters[4].default is None
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[2:])


def test_every_public_name_is_importable_from_the_package():
    for name in client_module.__all__:
        assert hasattr(client_module, name), name
    for name in (
        "DrenfaxError",
        "AuthenticationError",
        "NotAllowedError",
        "NotFoundError",
        "InvalidInputError",
        "RateLimitedError",
        "ServerError",
        "TransportError",
        "Fax",
        "FaxNumber",
        "CoverPage",
        "AvailableNumber",
        "HistoryPage",
        "NumbersPage",
        "BatchResult",
        "BatchError",
        "GetRetry",
        "default_retries",
    ):
        assert name in client_module.__all__


def test_the_client_imports_without_django():
    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys, drenfax_portal.client; "
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')]"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
