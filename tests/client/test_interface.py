"""The public interface is exactly the one issue 3 (and the README) promise."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path
from typing import Unpack, get_type_hints

import pytest

import drenfax_portal.client as client_module
from drenfax_portal.client import DrenfaxClient, FaxPages, SendOptions

# The keywords the sends and the preview share, as typed options (`**options:
# Unpack[SendOptions]`): the table, keyword for keyword.
PAGES_KEYWORDS = {
    "attachments",
    "cover_page",
    "cover_page_id",
    "recipient_name",
    "sender_name",
    "subject",
    "caller_id",
    "notes",
}
SEND_KEYWORDS = PAGES_KEYWORDS | {"tags", "custom_fields", "scheduled_date", "webhook_id"}

# The table, parameter for parameter (issue 19: one number on a single send).
PROMISED = {
    "send_fax": "(fax_number, **options)",
    "send_multiple": "(recipients, *, recipient_contacts=(), **options)",
    "resend_fax": "(message_id, *, recipient_fax=None)",
    "preview_fax": "(**pages)",
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


def test_the_shared_keywords_are_typed_options():
    assert FaxPages.__optional_keys__ == PAGES_KEYWORDS
    assert SendOptions.__optional_keys__ == SEND_KEYWORDS
    for name in ("send_fax", "send_multiple"):
        assert get_type_hints(getattr(DrenfaxClient, name))["options"] == Unpack[SendOptions]
    assert get_type_hints(DrenfaxClient.preview_fax)["pages"] == Unpack[FaxPages]


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.send_fax("+13125550100", cover_page=True, subjet="typo"),
        lambda c: c.send_multiple(["+13125550100"], cover_page=True, recipient="x"),
        lambda c: c.preview_fax(cover_page=True, tags=["a send option"]),
    ],
)
def test_an_unknown_keyword_is_refused_before_sending(api, client, call):
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        call(client)
    assert len(api.calls) == 0


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
