"""The client's wire names, pinned to the provider's reference and its corrections.

The field tables of `docs/provider/drenfax-api-reference.txt` (the provider's reference, as
published) are read as they stand; `CORRECTIONS` holds the few places where
`docs/provider/API-NOTES.md` says the reference is wrong. Every client method is then called
with every argument against a recording server, and what arrived there must be exactly the
documented fields of its endpoint. A future slip (a field renamed, one forgotten) fails here
instead of at a customer's first fax.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from drenfax_portal.client import DrenfaxClient
from tests.recording import RecordingServer

from .conftest import MESSAGE_ID, NUMBER_ID, PDF, USER_ID

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "provider" / "drenfax-api-reference.txt"

# (method, path): (fields the reference lists but the endpoint does not take, fields it takes
# that the reference's table does not list, why).
CORRECTIONS: dict[tuple[str, str], tuple[set[str], set[str], str]] = {
    ("POST", "/v1/faxes"): (
        {"recipientFax", "recipientContacts"},
        {"faxNumber"},
        "API-NOTES: the field is faxNumber, one destination; the table is a copy of the "
        "multiple-send table (its own example sends faxNumber and no recipientContacts)",
    ),
    ("DELETE", "/v1/fax/{messageId}"): (
        {
            "recipientContacts",
            "attachments",
            "coverPage",
            "coverPageId",
            "tags",
            "recipientName",
            "senderName",
            "subject",
            "callerId",
            "notes",
            "cf",
            "scheduledDate",
            "webhookId",
        },
        set(),
        "API-NOTES: DELETE /v1/fax/{messageId} takes no body",
    ),
}


def reference_endpoints() -> dict[tuple[str, str], set[str]]:
    """{(method, path template): the fields of its table, path variables left out}."""
    endpoints: dict[tuple[str, str], set[str]] = {}
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    current = None
    for line, following in zip(lines, [*lines[1:], ""], strict=True):
        heading = re.match(r"(POST|GET|DEL|PATCH) \S", line)
        if heading and following.startswith("/"):
            method = "DELETE" if heading[1] == "DEL" else heading[1]
            path = following.split("?")[0].strip()
            current = endpoints.setdefault((method, path), set())
        elif current is not None and (row := re.match(r"\| (\w+) \|", line)):
            current.add(row[1])
    for (method, path), names in endpoints.items():
        names -= set(re.findall(r"\{(\w+)\}", path))
        wrong, missing, _ = CORRECTIONS.get((method, path), (set(), set(), ""))
        names -= wrong
        names |= missing
    return endpoints


def _template(path: str, endpoints) -> str:
    literal = [p for _, p in endpoints if p == path]
    if literal:
        return literal[0]
    for _, template in endpoints:
        if re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", template), path):
            return template
    raise AssertionError(f"{path} is not an endpoint of the reference")


DOC = ("a.pdf", PDF, "application/pdf")
WHEN = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)

# Every client method with every argument given.
CALLS: dict[str, Callable[[DrenfaxClient], object]] = {
    "send_fax": lambda c: c.send_fax(
        "+13125550100",
        attachments=[DOC],
        cover_page=True,
        cover_page_id="d1077489-5ea1-4db1-9760-853f175e8288",
        tags=["t"],
        recipient_name="Ada",
        sender_name="Charles",
        subject="Plans",
        caller_id="5094570051",
        notes="n",
        custom_fields={"k": "v"},
        scheduled_date=WHEN,
        webhook_id="0f6b5e1e-1111-4222-8333-944455556666",
    ),
    "send_multiple": lambda c: c.send_multiple(
        ["+13125550100", "+13125550101"],
        attachments=[DOC],
        cover_page=True,
        cover_page_id="d1077489-5ea1-4db1-9760-853f175e8288",
        recipient_contacts=["c1"],
        tags=["t"],
        recipient_name="Ada",
        sender_name="Charles",
        subject="Plans",
        caller_id="5094570051",
        notes="n",
        custom_fields={"k": "v"},
        scheduled_date=WHEN,
        webhook_id="0f6b5e1e-1111-4222-8333-944455556666",
    ),
    "resend_fax": lambda c: c.resend_fax(MESSAGE_ID, recipient_fax="+13125550100"),
    "preview_fax": lambda c: c.preview_fax(
        attachments=[DOC],
        cover_page=True,
        cover_page_id="d1077489-5ea1-4db1-9760-853f175e8288",
        recipient_name="Ada",
        sender_name="Charles",
        subject="Plans",
        caller_id="5094570051",
        notes="n",
    ),
    "send_blast": lambda c: c.send_blast(
        ("list.xlsx", b"PK\x03\x04", "application/vnd.ms-excel"),
        cover_page=True,
        cover_page_id="d1077489-5ea1-4db1-9760-853f175e8288",
    ),
    "cancel_fax": lambda c: c.cancel_fax(MESSAGE_ID),
    "update_fax": lambda c: c.update_fax(MESSAGE_ID, is_archived=True),
    "download_fax": lambda c: c.download_fax(MESSAGE_ID),
    "fax_history": lambda c: c.fax_history(
        "6c838c7c-cb48-4763-84d6-233b5f8cf782",
        offset=10,
        limit=20,
        direction="inbound",
        status="success",
        from_date=date(2030, 1, 1),
        to_date=date(2030, 1, 2),
        user_id=USER_ID,
        query="q",
        tags=["t"],
        is_archived=False,
        include=["tags"],
    ),
    "fax_info": lambda c: c.fax_info(MESSAGE_ID),
    "delete_fax": lambda c: c.delete_fax(MESSAGE_ID),
    "cover_pages": lambda c: c.cover_pages(),
    "list_numbers": lambda c: c.list_numbers(
        account_id="6c838c7c-cb48-4763-84d6-233b5f8cf782",
        type="assigned",
        offset=0,
        limit=30,
        query="206",
    ),
    "add_number_user": lambda c: c.add_number_user(NUMBER_ID, USER_ID),
    "remove_number_user": lambda c: c.remove_number_user(NUMBER_ID, USER_ID),
    "provision_numbers": lambda c: c.provision_numbers(
        "order",
        numbers=["+12065550100"],
        quantity=1,
        account_id="6c838c7c-cb48-4763-84d6-233b5f8cf782",
        storage={"type": "ftp"},
    ),
    "search_numbers": lambda c: c.search_numbers(
        npa="206", nxx="555", state="WA", city="Seattle", zipcode="98101", limit=5
    ),
    "update_number": lambda c: c.update_number(
        NUMBER_ID, storage={"type": "ftp"}, managed_by="6c838c7c-cb48-4763-84d6-233b5f8cf782"
    ),
    "release_number": lambda c: c.release_number(NUMBER_ID),
    "validate_number": lambda c: c.validate_number("+12065550100", "US"),
}


@pytest.fixture
def wire(recorder: RecordingServer) -> RecordingServer:
    """The recorder answering each endpoint in the shape the client expects."""
    recorder.answer("GET", r"/coverpages", [])
    recorder.answer("POST", r"/v1/numbers/provision", [])
    recorder.answer("GET", r"/v1/numbers/provision/search", {"result": []})
    recorder.answer("GET", r"/v1/numbers/validate", {"isValid": True})
    recorder.answer("GET", r"/v1/fax/history", {"count": "0", "rows": []})
    recorder.answer("GET", r"/v1/numbers", {"count": 0, "rows": []})
    for path in (r"/v1/faxes/multiple", r"/v1/fax/resend", r"/v1/fax/blast"):
        recorder.answer("POST", path, {"success": [], "errors": []})
    for method, path in (("GET", r"/v1/fax/[^/]+/download"), ("POST", r"/v1/fax/preview")):
        recorder.answer(method, path, PDF, content_type="application/pdf")
    return recorder


@pytest.fixture
def wire_client(wire: RecordingServer):
    with DrenfaxClient(wire.url, "key") as client:
        yield client


def test_the_reference_tables_read_as_its_twenty_endpoints():
    endpoints = reference_endpoints()
    assert len(endpoints) == 20
    assert endpoints[("POST", "/v1/faxes")] >= {"faxNumber", "attachments", "coverPage"}
    assert "recipientFax" not in endpoints[("POST", "/v1/faxes")]
    assert "recipientFax" in endpoints[("POST", "/v1/faxes/multiple")]
    assert "recipientFax" in endpoints[("POST", "/v1/fax/resend")]


@pytest.mark.parametrize("method", sorted(CALLS))
def test_each_method_sends_exactly_its_endpoints_documented_fields(wire, wire_client, method):
    endpoints = reference_endpoints()
    CALLS[method](wire_client)
    (request,) = wire.requests
    key = (request.method, _template(request.path, endpoints))
    assert key in endpoints, key
    sent = request.field_names()
    assert len(sent) == len(set(sent)), sent
    assert set(sent) == endpoints[key], f"{method} -> {key}"


def test_every_endpoint_of_the_reference_has_a_method(wire, wire_client):
    for call in CALLS.values():
        call(wire_client)
    endpoints = reference_endpoints()
    reached = {(r.method, _template(r.path, endpoints)) for r in wire.requests}
    assert reached == set(endpoints)


def test_a_single_recipient_send_puts_fax_number_on_the_wire(wire, wire_client):
    wire_client.send_fax("+13125550100", cover_page=True)
    (request,) = wire.requests
    assert (request.method, request.path) == ("POST", "/v1/faxes")
    assert request.content_type.startswith("multipart/form-data")
    assert ("faxNumber", "+13125550100") in request.form()
    assert "recipientFax" not in request.field_names()


def test_a_multi_recipient_send_puts_recipient_fax_on_the_wire(wire, wire_client):
    wire_client.send_multiple(["+13125550100", "+13125550101"], cover_page=True)
    (request,) = wire.requests
    assert (request.method, request.path) == ("POST", "/v1/faxes/multiple")
    assert ("recipientFax", "+13125550100,+13125550101") in request.form()
    assert "faxNumber" not in request.field_names()


def test_a_resend_to_another_number_puts_recipient_fax_on_the_wire(wire, wire_client):
    wire_client.resend_fax(MESSAGE_ID, recipient_fax="+13125550100")
    (request,) = wire.requests
    assert request.content_type == "application/x-www-form-urlencoded"
    assert request.form() == [("messageId", MESSAGE_ID), ("recipientFax", "+13125550100")]
