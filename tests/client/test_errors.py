"""Every failure becomes a typed `DrenfaxError` with a readable message."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from drenfax_portal.client import (
    AuthenticationError,
    DrenfaxClient,
    DrenfaxError,
    InvalidInputError,
    MalformedResponseError,
    NotAllowedError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    default_retries,
)
from drenfax_portal.client.errors import parse_retry_after

from .conftest import BASE, MESSAGE_ID, NUMBER_ID

INFO = f"{BASE}/v1/fax/{MESSAGE_ID}/info"
NO_RETRY = default_retries().new(total=0)


@pytest.fixture
def once():
    """A client that never retries, to see each answer's error as is."""
    with DrenfaxClient(BASE, "key", retries=NO_RETRY) as client:
        yield client


@pytest.mark.parametrize(
    ("status", "error_class", "permanent"),
    [
        (400, InvalidInputError, True),
        (401, AuthenticationError, True),
        (403, NotAllowedError, True),
        (404, NotFoundError, True),
        (422, InvalidInputError, True),
        (429, RateLimitedError, False),
        (500, ServerError, False),
        (502, ServerError, False),
        (503, ServerError, False),
        (504, ServerError, False),
        (409, DrenfaxError, True),
    ],
)
def test_status_codes_map_to_error_classes(api, once, status, error_class, permanent):
    api.get(INFO, status=status, json={"error": "Something specific"})
    with pytest.raises(error_class) as caught:
        once.fax_info(MESSAGE_ID)
    error = caught.value
    assert type(error) is error_class
    assert error.status_code == status
    assert error.permanent is permanent
    assert error.detail == "Something specific"
    assert str(error).startswith(f"Drenfax: GET /v1/fax/{MESSAGE_ID}/info failed with {status} ")
    assert str(error).endswith(": Something specific")


def test_error_message_reads_as_a_sentence(api, once):
    api.post(
        f"{BASE}/v1/faxes/multiple",
        status=400,
        json={"error": "InvalidInputError: No files and cover page in to send."},
    )
    with pytest.raises(InvalidInputError) as caught:
        once.send_multiple(["+13125550100"], cover_page=True)
    assert str(caught.value) == (
        "Drenfax: POST /v1/faxes/multiple failed with 400 Bad Request: "
        "InvalidInputError: No files and cover page in to send."
    )
    assert caught.value.field is None


@pytest.mark.parametrize(
    "body",
    [
        {"error": "NotAllowedError: the number cannot be released yet", "status": 403},
        {
            "error": "NotAllowedError: the number cannot be released yet",
            "message": "the number cannot be released yet",
            "status": 403,
        },
        {"error": {"name": "NotAllowedError", "message": "the number cannot be released yet"}},
    ],
    ids=["flat", "flat-with-message", "nested"],
)
def test_both_error_shapes_give_the_same_typed_error(api, once, body):
    api.delete(f"{BASE}/v1/numbers/{NUMBER_ID}/release", status=403, json=body)
    with pytest.raises(NotAllowedError) as caught:
        once.release_number(NUMBER_ID)
    error = caught.value
    assert error.detail == "the number cannot be released yet"
    assert error.provider_error == "NotAllowedError"
    assert str(error) == (
        f"Drenfax: DELETE /v1/numbers/{NUMBER_ID}/release failed with 403 Forbidden: "
        "NotAllowedError: the number cannot be released yet"
    )


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("the number cannot be released yet\n", "text/plain"),
        ("<html><body><h1>the number cannot be released yet</h1></body></html>", "text/html"),
    ],
)
def test_text_and_html_error_bodies_give_the_same_detail(api, once, body, content_type):
    api.delete(
        f"{BASE}/v1/numbers/{NUMBER_ID}/release", status=403, body=body, content_type=content_type
    )
    with pytest.raises(NotAllowedError) as caught:
        once.release_number(NUMBER_ID)
    assert caught.value.detail == "the number cannot be released yet"
    assert caught.value.provider_error is None


@pytest.mark.parametrize(
    ("method", "url", "call"),
    [
        ("DELETE", f"/v1/numbers/{NUMBER_ID}/release", lambda c: c.release_number(NUMBER_ID)),
        ("DELETE", f"/v1/fax/{MESSAGE_ID}", lambda c: c.delete_fax(MESSAGE_ID)),
        (
            "DELETE",
            f"/v1/numbers/{NUMBER_ID}/user/{MESSAGE_ID}",
            lambda c: c.remove_number_user(NUMBER_ID, MESSAGE_ID),
        ),
    ],
)
def test_an_empty_204_answer_is_a_success(api, once, method, url, call):
    api.add(method, f"{BASE}{url}", status=204, body="")
    assert call(once) is None


@pytest.mark.parametrize(
    ("body", "content_type", "detail"),
    [
        ('{"message": "Fax not found"}', "application/json", "Fax not found"),
        (
            '{"error": "Not Found", "message": "No fax 42"}',
            "application/json",
            "Not Found: No fax 42",
        ),
        ('{"error": {"message": "nested", "code": 7}}', "application/json", "nested"),
        ('{"errors": ["one", {"message": "two"}]}', "application/json", "one; two"),
        (
            '{"errors": {"recipientFax": ["is required"]}}',
            "application/json",
            "recipientFax: is required",
        ),
        ('"just a string"', "application/json", "just a string"),
        ('{"unexpected": 1}', "application/json", '{"unexpected": 1}'),
        ("Fax not found\n", "text/plain", "Fax not found"),
        (
            "<html><head><title>404 Not Found</title><style>h1{}</style></head>"
            "<body><h1>Not   Found</h1></body></html>",
            "text/html",
            "404 Not Found Not Found",
        ),
        ('{"message": "broken', "application/json", '{"message": "broken'),
        ("", "application/json", None),
        ("  \n ", "text/plain", None),
    ],
)
def test_provider_message_is_found_in_any_body(api, once, body, content_type, detail):
    api.get(INFO, status=404, body=body, content_type=content_type)
    with pytest.raises(NotFoundError) as caught:
        once.fax_info(MESSAGE_ID)
    assert caught.value.detail == detail
    expected = f"Drenfax: GET /v1/fax/{MESSAGE_ID}/info failed with 404 Not Found"
    assert str(caught.value) == (f"{expected}: {detail}" if detail else expected)


def test_a_long_body_is_cut_to_one_readable_line(api, once):
    api.get(INFO, status=500, body="boom\n" * 500, content_type="text/plain")
    with pytest.raises(ServerError) as caught:
        once.fax_info(MESSAGE_ID)
    assert len(caught.value.detail) == 300
    assert "\n" not in str(caught.value)
    assert caught.value.detail.endswith("…")


def test_an_undecodable_body_still_gives_an_error(api, once):
    api.get(INFO, status=502, body=b"\xff\xfe\x00garbage", content_type="text/plain; charset=bogus")
    with pytest.raises(ServerError) as caught:
        once.fax_info(MESSAGE_ID)
    assert "garbage" in caught.value.detail


@pytest.mark.parametrize(
    "body", ["", "OK", "<html>oops</html>", "[1, 2]", "null", '{"truncated": '], ids=repr
)
def test_a_2xx_body_that_is_not_the_documented_json_is_malformed(api, once, body):
    api.get(INFO, status=200, body=body)
    with pytest.raises(MalformedResponseError) as caught:
        once.fax_info(MESSAGE_ID)
    assert caught.value.status_code == 200
    assert caught.value.permanent is True
    assert "without a JSON object" in str(caught.value)


def test_a_2xx_list_endpoint_answering_an_object_is_malformed(api, once):
    api.get(f"{BASE}/coverpages", json={"rows": []})
    with pytest.raises(MalformedResponseError, match="without a JSON array"):
        once.cover_pages()


def test_a_redirect_on_a_post_is_not_followed(api, once):
    api.post(f"{BASE}/v1/faxes", status=302, headers={"Location": f"{BASE}/elsewhere"}, body="")
    with pytest.raises(DrenfaxError) as caught:
        once.send_fax("+13125550100", cover_page=True)
    assert caught.value.status_code == 302
    assert len(api.calls) == 1


# --- 429 and Retry-After -----------------------------------------------------------------


def test_rate_limited_reads_retry_after_in_seconds(api, once):
    api.get(INFO, status=429, headers={"Retry-After": "42"}, json={"error": "Too many"})
    with pytest.raises(RateLimitedError) as caught:
        once.fax_info(MESSAGE_ID)
    assert caught.value.retry_after == 42.0
    assert caught.value.permanent is False


def test_rate_limited_reads_retry_after_as_an_http_date(api, once):
    when = datetime.now(UTC) + timedelta(seconds=90)
    api.get(INFO, status=429, headers={"Retry-After": format_datetime(when, usegmt=True)})
    with pytest.raises(RateLimitedError) as caught:
        once.fax_info(MESSAGE_ID)
    assert 85 <= caught.value.retry_after <= 90


def test_rate_limited_without_retry_after_has_none(api, once):
    api.get(INFO, status=429)
    with pytest.raises(RateLimitedError) as caught:
        once.fax_info(MESSAGE_ID)
    assert caught.value.retry_after is None


NOW = datetime(2015, 10, 21, 7, 28, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("-3", 0.0),
        ("Wed, 21 Oct 2015 07:30:00 GMT", 120.0),
        ("Wednesday, 21-Oct-15 07:29:00 GMT", 60.0),  # RFC 850, still legal to receive
        ("Wed Oct 21 07:28:30 2015", 30.0),  # asctime
        ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),  # in the past
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_retry_after_reads_both_forms(header, seconds):
    assert parse_retry_after(header, now=NOW) == seconds


# --- transport failures -------------------------------------------------------------------


def refused_connection() -> requests.ConnectionError:
    """What requests raises when nothing listens on the port."""
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] refused")
    return requests.ConnectionError(MaxRetryError(None, INFO, reason))


def dropped_connection() -> requests.ConnectionError:
    """What requests raises when the server closes the connection after reading the request."""
    return requests.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
    )


@pytest.mark.parametrize(
    ("exc", "request_sent"),
    [
        (requests.exceptions.ConnectTimeout("connect timed out"), False),
        (refused_connection(), False),
        (requests.ConnectionError(ConnectionRefusedError(111, "Connection refused")), False),
        (requests.exceptions.SSLError("certificate verify failed"), False),
        (requests.exceptions.ProxyError("proxy refused"), False),
        (requests.exceptions.ReadTimeout("read timed out"), True),
        (dropped_connection(), True),
        (requests.exceptions.ChunkedEncodingError("broken chunk"), True),
        (requests.ConnectionError("something odd"), True),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_transport_failures_say_whether_the_request_may_have_been_sent(
    api, once, exc, request_sent
):
    api.post(f"{BASE}/v1/fax/{MESSAGE_ID}/cancel", body=exc)
    with pytest.raises(TransportError) as caught:
        once.cancel_fax(MESSAGE_ID)
    error = caught.value
    assert error.request_sent is request_sent
    assert error.permanent is False
    assert error.status_code is None
    assert isinstance(error.__cause__, requests.RequestException)
    assert str(error).startswith(f"Drenfax: POST /v1/fax/{MESSAGE_ID}/cancel ")
    assert ("may have been processed" in str(error)) is request_sent


def test_errors_survive_pickling_with_their_attributes():
    error = RateLimitedError("slow down", retry_after=3.0, status_code=429, detail="x")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert (str(copy), copy.retry_after, copy.status_code, copy.permanent) == (
        "slow down",
        3.0,
        429,
        False,
    )


def test_every_error_is_a_drenfax_error():
    for cls in (
        AuthenticationError,
        NotFoundError,
        InvalidInputError,
        RateLimitedError,
        ServerError,
        TransportError,
        MalformedResponseError,
    ):
        assert issubclass(cls, DrenfaxError)
