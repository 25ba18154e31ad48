"""The client against the sandbox: a fax from send to its final status, and the errors."""

from __future__ import annotations

import pytest

from drenfax_portal.client import (
    DrenfaxClient,
    InvalidInputError,
    NotFoundError,
    ServerError,
    TransportError,
)
from drenfax_portal.sandbox import start_sandbox


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox(strict=True, speed=50, history_rate="100/1") as running:
        yield running


@pytest.fixture
def client(sandbox):
    with DrenfaxClient(sandbox.url, sandbox.api_key, timeout=(2, 2)) as client:
        yield client


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\nxref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n"  # noqa: E501


def test_a_fax_goes_from_send_to_success(client, sandbox):
    fax = client.send_fax(
        "+12065550123", attachments=[("a.pdf", PDF, "application/pdf")], subject="Hello"
    )
    assert fax.status in ("processing", "transmitting") and fax.pages_count == 1
    sandbox.wait_for_fax(fax.message_id)
    done = client.fax_info(fax.message_id)
    assert done.status == "success" and done.result_code == "0" and done.pages_complete == 1
    page = client.fax_history(sandbox.account_id, query="2065550123")
    assert fax.message_id in {row.message_id for row in page.rows}
    assert client.download_fax(fax.message_id).startswith(b"%PDF-")


def test_a_busy_number_ends_failed(client, sandbox):
    fax = client.send_fax("+12065550001", cover_page=True)
    sandbox.wait_for_fax(fax.message_id)
    failed = client.fax_info(fax.message_id)
    assert failed.status == "failed" and failed.result_code != "0" and failed.error_info


def test_multiple_recipients_in_one_call(client, sandbox):
    result = client.send_multiple(["+12065550123", "+13125550199"], cover_page=True)
    assert len(result.success) == 2 and result.errors == []


def test_provider_errors_arrive_typed(client, sandbox):
    with pytest.raises(NotFoundError):
        client.fax_info("00000000-0000-4000-8000-000000000000")
    finished = client.send_fax("+12065550123", cover_page=True)
    sandbox.wait_for_fax(finished.message_id)
    with pytest.raises(InvalidInputError, match="cancel"):
        client.cancel_fax(finished.message_id)
    with pytest.raises(InvalidInputError, match="invalid fax number"):
        client.send_fax("12", cover_page=True)
    sandbox.add_fault(endpoint="GET /v1/numbers", fault="500", count=5)
    with pytest.raises(ServerError):
        client.list_numbers()
    sandbox.clear_faults()


def test_a_send_that_stalls_after_create_times_out_once_and_the_fax_exists(client, sandbox):
    before = sandbox.stats()["faxes"]["total"]
    sandbox.add_fault(endpoint="POST /v1/faxes", fault="stall_after_create", stall_seconds=4)
    with pytest.raises(TransportError) as caught:
        client.send_fax("+12065550123", cover_page=True)
    assert caught.value.request_sent
    assert sandbox.stats()["faxes"]["total"] == before + 1
    assert sandbox.stats()["calls"]["POST /v1/faxes"] >= 1


def test_a_repeated_provider_message_is_shown_once(client, sandbox):
    with pytest.raises(InvalidInputError) as caught:
        client.send_fax("12", cover_page=True)
    assert str(caught.value).count("invalid fax number '12'") == 1
