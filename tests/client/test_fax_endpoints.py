"""The fax endpoints put exactly the documented request on the wire and parse the answer."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import responses

from drenfax_portal.client import BatchResult, CoverPage, Fax, HistoryPage, MalformedResponseError

from . import examples
from .conftest import (
    ACCOUNT_ID,
    BASE,
    MESSAGE_ID,
    PDF,
    assert_no_body,
    assert_sent,
    fields,
    files,
    form,
    multipart,
    query,
)

DOC = ("letter.pdf", PDF, "application/pdf")
SCAN = ("scan.tiff", b"II*\x00tiff\r\nbytes", "image/tiff")


# --- POST /v1/faxes -----------------------------------------------------------------------


def test_send_fax_posts_every_field_as_multipart_and_files_in_order(api, client):
    api.post(f"{BASE}/v1/faxes", body=examples.SEND_FAX)
    fax = client.send_fax(
        "+13125550100",
        attachments=[DOC, SCAN],
        cover_page=True,
        cover_page_id="d1077489-5ea1-4db1-9760-853f175e8288",
        tags=["t1", "t2"],
        recipient_name="Ada Lovelace",
        sender_name="Charles Babbage",
        subject="Engine plans",
        caller_id="5094570051",
        notes="Two pages.\nPlease confirm.",
        custom_fields={"matter": "A-17", "urgent": True},
        scheduled_date=datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        webhook_id="0f6b5e1e-1111-4222-8333-944455556666",
    )

    request = assert_sent(api.calls[0], "POST", "/v1/faxes")
    parts = multipart(request)
    assert fields(parts) == [
        ("faxNumber", "+13125550100"),
        ("tags", "t1,t2"),
        ("coverPage", "true"),
        ("coverPageId", "d1077489-5ea1-4db1-9760-853f175e8288"),
        ("recipientName", "Ada Lovelace"),
        ("senderName", "Charles Babbage"),
        ("subject", "Engine plans"),
        ("callerId", "5094570051"),
        ("notes", "Two pages.\nPlease confirm."),
        ("cf", '{"matter":"A-17","urgent":true}'),
        ("scheduledDate", "2030-01-02T03:04:05.678Z"),
        ("webhookId", "0f6b5e1e-1111-4222-8333-944455556666"),
    ]
    assert files(parts) == [
        ("attachments", "letter.pdf", "application/pdf", PDF),
        ("attachments", "scan.tiff", "image/tiff", SCAN[1]),
    ]
    # Text fields first: a streaming parser on the server has them before the files.
    assert [p.filename is None for p in parts] == [True] * 12 + [False] * 2
    assert isinstance(fax, Fax)
    assert fax.message_id == "59e02992-ee7b-42c1-82c7-87db964d8d6f"
    assert fax.status == "processing"


def test_send_fax_leaves_out_unset_fields_and_sends_cover_page_false(api, client):
    api.post(f"{BASE}/v1/faxes", body=examples.SEND_FAX)
    client.send_fax("13125550100", attachments=[DOC])

    parts = multipart(assert_sent(api.calls[0], "POST", "/v1/faxes"))
    assert fields(parts) == [("faxNumber", "13125550100"), ("coverPage", "false")]
    assert files(parts) == [("attachments", "letter.pdf", "application/pdf", PDF)]


def test_send_fax_with_only_a_cover_page_is_still_multipart(api, client):
    api.post(f"{BASE}/v1/faxes", body=examples.SEND_FAX)
    client.send_fax("+13125550100", cover_page=True, notes="Call me")

    parts = multipart(assert_sent(api.calls[0], "POST", "/v1/faxes"))
    assert fields(parts) == [
        ("faxNumber", "+13125550100"),
        ("coverPage", "true"),
        ("notes", "Call me"),
    ]
    assert files(parts) == []


def test_send_fax_reads_binary_file_objects(api, client):
    api.post(f"{BASE}/v1/faxes", body=examples.SEND_FAX)
    client.send_fax("+13125550100", attachments=[("a.pdf", io.BytesIO(PDF), "application/pdf")])

    parts = multipart(api.calls[0].request)
    assert files(parts) == [("attachments", "a.pdf", "application/pdf", PDF)]


def test_send_fax_converts_scheduled_date_to_utc_with_milliseconds(api, client):
    api.post(f"{BASE}/v1/faxes", body=examples.SEND_FAX)
    chicago_winter = timezone(timedelta(hours=-6))
    client.send_fax(
        "+13125550100",
        cover_page=True,
        scheduled_date=datetime(2029, 12, 31, 20, 30, tzinfo=chicago_winter),
    )

    assert ("scheduledDate", "2030-01-01T02:30:00.000Z") in fields(multipart(api.calls[0].request))


def test_send_fax_normalises_caller_id_to_ten_digits(api, client):
    api.post(f"{BASE}/v1/faxes", body=examples.SEND_FAX)
    client.send_fax("+13125550100", cover_page=True, caller_id="+1 (509) 457-0051")

    assert ("callerId", "5094570051") in fields(multipart(api.calls[0].request))


def test_send_fax_sends_text_as_utf8(api, client):
    api.post(f"{BASE}/v1/faxes", body=examples.SEND_FAX)
    client.send_fax("+13125550100", cover_page=True, recipient_name="Zoë Ørsted")

    assert ("recipientName", "Zoë Ørsted") in fields(multipart(api.calls[0].request))


# --- POST /v1/faxes/multiple --------------------------------------------------------------


def test_send_multiple_posts_the_send_fields_and_parses_successes_and_errors(api, client):
    api.post(f"{BASE}/v1/faxes/multiple", body=examples.SEND_MULTIPLE)
    result = client.send_multiple(
        ["1234567890", "12015234232"],
        attachments=[DOC],
        recipient_contacts=["d1077489-5ea1-4db1-9760-853f175e8288"],
        subject="Quarterly report",
    )

    parts = multipart(assert_sent(api.calls[0], "POST", "/v1/faxes/multiple"))
    assert fields(parts) == [
        ("recipientFax", "1234567890,12015234232"),
        ("recipientContacts", "d1077489-5ea1-4db1-9760-853f175e8288"),
        ("coverPage", "false"),
        ("subject", "Quarterly report"),
    ]
    assert files(parts) == [("attachments", "letter.pdf", "application/pdf", PDF)]
    assert isinstance(result, BatchResult)
    assert [fax.message_id for fax in result.success] == ["027012f1-80c9-4be5-b093-1f54783dfa3b"]
    assert len(result.errors) == 1
    assert result.errors[0].error == "InvalidInputError: No files and cover page in to send."
    assert result.errors[0].recipient_fax == "12015234232"


# --- POST /v1/fax/resend ------------------------------------------------------------------


def test_resend_fax_posts_urlencoded_message_id_and_new_number(api, client):
    api.post(f"{BASE}/v1/fax/resend", body=examples.RESEND)
    result = client.resend_fax(MESSAGE_ID, recipient_fax="+13125550100")

    request = assert_sent(api.calls[0], "POST", "/v1/fax/resend")
    assert form(request) == [("messageId", MESSAGE_ID), ("recipientFax", "+13125550100")]
    # "+" must travel percent-encoded, or the server reads a space.
    assert "recipientFax=%2B13125550100" in request.body
    assert result.success[0].faxbridge_id == "210000000000"
    assert result.errors == []


def test_resend_fax_without_new_number_sends_only_the_message_id(api, client):
    api.post(f"{BASE}/v1/fax/resend", body=examples.RESEND)
    client.resend_fax(MESSAGE_ID)

    assert form(api.calls[0].request) == [("messageId", MESSAGE_ID)]


# --- POST /v1/fax/preview -----------------------------------------------------------------


def test_preview_fax_posts_multipart_and_returns_the_pdf(api, client):
    api.post(f"{BASE}/v1/fax/preview", body=b"%PDF-1.7 preview", content_type="application/pdf")
    pdf = client.preview_fax(
        attachments=[DOC],
        cover_page=True,
        cover_page_id="d1077489-5ea1-4db1-9760-853f175e8288",
        recipient_name="Ada",
        sender_name="Charles",
        subject="Plans",
        caller_id="1234567890",
        notes="n",
    )

    parts = multipart(assert_sent(api.calls[0], "POST", "/v1/fax/preview"))
    assert fields(parts) == [
        ("coverPage", "true"),
        ("coverPageId", "d1077489-5ea1-4db1-9760-853f175e8288"),
        ("recipientName", "Ada"),
        ("senderName", "Charles"),
        ("subject", "Plans"),
        ("callerId", "1234567890"),
        ("notes", "n"),
    ]
    assert files(parts) == [("attachments", "letter.pdf", "application/pdf", PDF)]
    assert pdf == b"%PDF-1.7 preview"


def test_preview_fax_answering_json_with_200_is_an_error(api, client):
    api.post(f"{BASE}/v1/fax/preview", json={"error": "render failed"})
    with pytest.raises(MalformedResponseError, match="without a PDF: render failed"):
        client.preview_fax(attachments=[DOC])


def test_preview_fax_answering_the_references_plain_ok_is_an_error(api, client):
    api.post(f"{BASE}/v1/fax/preview", body="OK", content_type="text/plain")
    with pytest.raises(MalformedResponseError):
        client.preview_fax(cover_page=True)


@pytest.mark.parametrize("content_type", [None, "application/octet-stream", "application/pdf"])
def test_preview_fax_answering_bytes_that_are_no_pdf_is_an_error(api, client, content_type):
    api.post(f"{BASE}/v1/fax/preview", body=b"OK", content_type=content_type)
    with pytest.raises(MalformedResponseError):
        client.preview_fax(cover_page=True)


# --- POST /v1/fax/blast -------------------------------------------------------------------


def test_send_blast_posts_the_excel_file_as_recipient(api, client):
    api.post(f"{BASE}/v1/fax/blast", body=examples.SEND_MULTIPLE)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    result = client.send_blast(
        ("list.xlsx", b"PK\x03\x04xlsx", xlsx),
        cover_page=True,
        cover_page_id="d1077489-5ea1-4db1-9760-853f175e8288",
    )

    parts = multipart(assert_sent(api.calls[0], "POST", "/v1/fax/blast"))
    assert fields(parts) == [
        ("coverPage", "true"),
        ("coverPageId", "d1077489-5ea1-4db1-9760-853f175e8288"),
    ]
    assert files(parts) == [("recipient", "list.xlsx", xlsx, b"PK\x03\x04xlsx")]
    assert len(result.success) == 1
    assert len(result.errors) == 1


# --- POST /v1/fax/{id}/cancel, PATCH /v1/fax/{id} -----------------------------------------


def test_cancel_fax_posts_without_body_to_the_cancel_path(api, client):
    api.post(f"{BASE}/v1/fax/{MESSAGE_ID}/cancel", body=examples.CANCEL)
    fax = client.cancel_fax(MESSAGE_ID)

    assert_no_body(assert_sent(api.calls[0], "POST", f"/v1/fax/{MESSAGE_ID}/cancel"))
    assert fax.status == "cancelled"
    assert fax.is_terminal


def test_update_fax_patches_is_archived_urlencoded(api, client):
    api.patch(f"{BASE}/v1/fax/{MESSAGE_ID}", body=examples.UPDATE_FAX)
    fax = client.update_fax(MESSAGE_ID, is_archived=True)

    request = assert_sent(api.calls[0], "PATCH", f"/v1/fax/{MESSAGE_ID}")
    assert form(request) == [("isArchived", "true")]
    assert fax.message_id == MESSAGE_ID


def test_update_fax_sends_false_as_the_string_false(api, client):
    api.patch(f"{BASE}/v1/fax/{MESSAGE_ID}", body=examples.UPDATE_FAX)
    client.update_fax(MESSAGE_ID, is_archived=False)

    assert form(api.calls[0].request) == [("isArchived", "false")]


def test_ids_are_percent_encoded_in_the_path(api, client):
    api.post(f"{BASE}/v1/fax/a%2F..%2Fb%3F/cancel", body=examples.CANCEL)
    client.cancel_fax("a/../b?")

    assert api.calls[0].request.path_url == "/v1/fax/a%2F..%2Fb%3F/cancel"


# --- GET /v1/fax/{id}/download ------------------------------------------------------------


def test_download_fax_returns_the_pdf_bytes(api, client):
    api.get(f"{BASE}/v1/fax/{MESSAGE_ID}/download", body=PDF, content_type="application/pdf")
    assert client.download_fax(MESSAGE_ID) == PDF

    request = assert_sent(api.calls[0], "GET", f"/v1/fax/{MESSAGE_ID}/download")
    assert query(request) == []


def test_download_fax_streams_into_a_file_and_returns_the_size(api, client):
    big = PDF * 5000  # several chunks
    streamed = []

    def answer(request):
        streamed.append(request.req_kwargs["stream"])
        return (200, {"Content-Type": "application/pdf"}, big)

    api.add_callback(responses.GET, f"{BASE}/v1/fax/{MESSAGE_ID}/download", callback=answer)
    target = io.BytesIO()
    assert client.download_fax(MESSAGE_ID, to=target) == len(big)
    assert target.getvalue() == big
    assert streamed == [True]


def test_download_fax_answering_json_with_200_is_an_error_and_writes_nothing(api, client):
    api.get(f"{BASE}/v1/fax/{MESSAGE_ID}/download", json={"message": "File purged"})
    target = io.BytesIO()
    with pytest.raises(MalformedResponseError, match="File purged"):
        client.download_fax(MESSAGE_ID, to=target)
    assert target.getvalue() == b""


def test_download_fax_of_an_empty_body_is_an_error(api, client):
    api.get(f"{BASE}/v1/fax/{MESSAGE_ID}/download", body=b"", content_type="application/pdf")
    with pytest.raises(MalformedResponseError, match="empty body"):
        client.download_fax(MESSAGE_ID)


# --- GET /v1/fax/history ------------------------------------------------------------------


def test_fax_history_sends_defaults_in_the_query_string(api, client):
    api.get(f"{BASE}/v1/fax/history", body=examples.HISTORY)
    page = client.fax_history(ACCOUNT_ID)

    request = assert_sent(api.calls[0], "GET", "/v1/fax/history")
    assert query(request) == [
        ("accountId", ACCOUNT_ID),
        ("offset", "0"),
        ("limit", "10"),
        ("direction", "all"),
        ("status", "all"),
    ]
    assert_no_body(request)
    assert isinstance(page, HistoryPage)
    assert page.count == 99


def test_fax_history_sends_every_filter(api, client):
    api.get(f"{BASE}/v1/fax/history", body=examples.HISTORY)
    client.fax_history(
        ACCOUNT_ID,
        offset=20,
        limit=500,
        direction="inbound",
        status="failed",
        from_date=date(2024, 1, 5),
        to_date=date(2024, 2, 1),
        user_id="u1",
        query="Acme & Co",
        tags=["t1", "t2"],
        is_archived=False,
        include=["tags", "contacts"],
    )

    assert query(api.calls[0].request) == [
        ("accountId", ACCOUNT_ID),
        ("offset", "20"),
        ("limit", "500"),
        ("direction", "inbound"),
        ("status", "failed"),
        ("fromDate", "2024-01-05"),
        ("toDate", "2024-02-01"),
        ("userId", "u1"),
        ("query", "Acme & Co"),
        ("tags", "t1,t2"),
        ("isArchived", "false"),
        ("include", "tags,contacts"),
    ]


@pytest.mark.parametrize(("value", "sent"), [(True, "true"), (False, "false")])
def test_fax_history_sends_is_archived_only_when_given(api, client, value, sent):
    api.get(f"{BASE}/v1/fax/history", body=examples.HISTORY)
    api.get(f"{BASE}/v1/fax/history", body=examples.HISTORY)
    client.fax_history(ACCOUNT_ID, is_archived=value)
    client.fax_history(ACCOUNT_ID)

    assert ("isArchived", sent) in query(api.calls[0].request)
    assert "isArchived" not in dict(query(api.calls[1].request))


# --- GET /v1/fax/{id}/info, DELETE /v1/fax/{id}, GET /coverpages ------------------------


def test_fax_info_gets_the_info_path(api, client):
    api.get(f"{BASE}/v1/fax/{MESSAGE_ID}/info", body=examples.FAX_INFO)
    fax = client.fax_info(MESSAGE_ID)

    request = assert_sent(api.calls[0], "GET", f"/v1/fax/{MESSAGE_ID}/info")
    assert query(request) == []
    assert fax.message_id == MESSAGE_ID


@pytest.mark.parametrize("body", ["OK", "", '{"deleted": true}'])
def test_delete_fax_sends_no_body_and_returns_none(api, client, body):
    api.delete(f"{BASE}/v1/fax/{MESSAGE_ID}", body=body)
    assert client.delete_fax(MESSAGE_ID) is None

    assert_no_body(assert_sent(api.calls[0], "DELETE", f"/v1/fax/{MESSAGE_ID}"))


def test_cover_pages_gets_coverpages_without_v1(api, client):
    api.get(f"{BASE}/coverpages", body=examples.COVER_PAGES)
    pages = client.cover_pages()

    assert_sent(api.calls[0], "GET", "/coverpages")
    assert [type(p) for p in pages] == [CoverPage]
    assert pages[0].name == "Default"


def test_base_url_with_a_trailing_slash_and_a_prefix_is_joined_cleanly(api):
    from drenfax_portal.client import DrenfaxClient

    api.get("https://gw.example.test/drenfax/coverpages", json=[])
    with DrenfaxClient("https://gw.example.test/drenfax/", "key") as client:
        assert client.cover_pages() == []


def test_every_request_carries_the_timeout(api):
    from drenfax_portal.client import DrenfaxClient

    seen = []

    def record(request):
        seen.append(request.req_kwargs["timeout"])
        return (200, {}, json.dumps([]))

    api.add_callback(responses.GET, f"{BASE}/coverpages", callback=record)
    with DrenfaxClient(BASE, "key", timeout=(3.5, 42)) as client:
        client.cover_pages()
    assert seen == [(3.5, 42)]
