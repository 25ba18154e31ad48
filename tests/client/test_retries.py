"""Only GETs are retried (urllib3's `Retry`, as `GetRetry`), on transient answers; a POST,
PATCH or DELETE is sent exactly once whatever happens (a fax must never go out twice).

`responses` plays urllib3's retries for status answers without sleeping; the transport
tests (real sockets) cover connection failures and the waits themselves."""

from __future__ import annotations

import pytest
import requests

from drenfax_portal.client import (
    DrenfaxClient,
    DrenfaxError,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    default_retries,
)

from . import examples
from .conftest import BASE, MESSAGE_ID, NUMBER_ID

INFO = f"{BASE}/v1/fax/{MESSAGE_ID}/info"


@pytest.mark.parametrize("status", [502, 503, 504])
def test_get_is_retried_after_a_transient_status_then_succeeds(api, client, status):
    api.get(INFO, status=status)
    api.get(INFO, body=examples.FAX_INFO)

    assert client.fax_info(MESSAGE_ID).message_id == MESSAGE_ID
    assert len(api.calls) == 2


def test_a_429_without_retry_after_is_not_retried(api, client):
    # The provider's window resets on the minute: a backoff of a second would be refused
    # again, so the caller (the sync) pauses instead of the client looping.
    api.get(INFO, status=429, json={"error": {"name": "RateLimitError", "message": "slow"}})

    with pytest.raises(RateLimitedError) as caught:
        client.fax_info(MESSAGE_ID)
    assert caught.value.retry_after is None
    assert len(api.calls) == 1


def test_a_429_with_a_short_retry_after_is_retried(api, client):
    api.get(INFO, status=429, headers={"Retry-After": "2"})
    api.get(INFO, body=examples.FAX_INFO)

    assert client.fax_info(MESSAGE_ID).status == "success"
    assert len(api.calls) == 2


def test_a_retry_after_longer_than_the_client_waits_raises_at_once(api, client):
    api.get(INFO, status=429, headers={"Retry-After": "120"}, json={"error": "Rate limit"})

    with pytest.raises(RateLimitedError) as caught:
        client.fax_info(MESSAGE_ID)
    assert caught.value.retry_after == 120.0
    assert len(api.calls) == 1


def test_get_gives_up_after_four_attempts(api, client):
    for _ in range(4):
        api.get(INFO, status=503, json={"error": "maintenance"})

    with pytest.raises(ServerError, match="maintenance") as caught:
        client.fax_info(MESSAGE_ID)
    assert caught.value.status_code == 503
    assert len(api.calls) == 4


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 500, 501])
def test_get_is_not_retried_after_other_statuses(api, client, status):
    api.get(INFO, status=status)
    with pytest.raises(DrenfaxError):
        client.fax_info(MESSAGE_ID)
    assert len(api.calls) == 1


def test_a_download_is_retried_before_the_stream_starts(api, client):
    url = f"{BASE}/v1/fax/{MESSAGE_ID}/download"
    api.get(url, status=502)
    api.get(url, body=b"%PDF-1.4 ok", content_type="application/pdf")

    assert client.download_fax(MESSAGE_ID) == b"%PDF-1.4 ok"
    assert len(api.calls) == 2


def test_retrying_can_be_turned_off(api):
    api.get(INFO, status=503)
    with (
        DrenfaxClient(BASE, "key", retries=default_retries().new(total=0)) as client,
        pytest.raises(ServerError),
    ):
        client.fax_info(MESSAGE_ID)
    assert len(api.calls) == 1


def test_a_shared_session_keeps_its_other_adapters(api):
    session = requests.Session()
    other = session.get_adapter("https://elsewhere.test/")
    with DrenfaxClient(BASE, "key", session=session):
        assert session.get_adapter("https://elsewhere.test/") is other
        assert session.get_adapter(f"{BASE}/v1/faxes").max_retries.total == 3


# --- never retried ------------------------------------------------------------------------


def test_a_send_that_times_out_is_attempted_once_and_may_have_been_sent(api, client):
    api.post(f"{BASE}/v1/faxes", body=requests.exceptions.ReadTimeout("read timed out"))

    with pytest.raises(TransportError) as caught:
        client.send_fax("+13125550100", cover_page=True)
    assert caught.value.request_sent is True
    assert len(api.calls) == 1


UNSAFE_CALLS = [
    ("POST", "/v1/faxes", lambda c: c.send_fax("+13125550100", cover_page=True)),
    ("POST", "/v1/faxes/multiple", lambda c: c.send_multiple(["+13125550100"], cover_page=True)),
    ("POST", "/v1/fax/resend", lambda c: c.resend_fax(MESSAGE_ID)),
    ("POST", "/v1/fax/preview", lambda c: c.preview_fax(cover_page=True)),
    ("POST", "/v1/fax/blast", lambda c: c.send_blast(("r.xlsx", b"PK", "application/x"))),
    ("POST", f"/v1/fax/{MESSAGE_ID}/cancel", lambda c: c.cancel_fax(MESSAGE_ID)),
    ("PATCH", f"/v1/fax/{MESSAGE_ID}", lambda c: c.update_fax(MESSAGE_ID, is_archived=True)),
    ("DELETE", f"/v1/fax/{MESSAGE_ID}", lambda c: c.delete_fax(MESSAGE_ID)),
    ("POST", f"/v1/numbers/{NUMBER_ID}/user/u", lambda c: c.add_number_user(NUMBER_ID, "u")),
    ("DELETE", f"/v1/numbers/{NUMBER_ID}/user/u", lambda c: c.remove_number_user(NUMBER_ID, "u")),
    ("POST", "/v1/numbers/provision", lambda c: c.provision_numbers("local")),
    ("PATCH", f"/v1/numbers/{NUMBER_ID}", lambda c: c.update_number(NUMBER_ID, managed_by="m")),
    ("DELETE", f"/v1/numbers/{NUMBER_ID}/release", lambda c: c.release_number(NUMBER_ID)),
]


@pytest.mark.parametrize(("method", "path", "call"), UNSAFE_CALLS, ids=lambda v: str(v))
@pytest.mark.parametrize(
    "failure",
    [
        {"status": 503, "headers": {"Retry-After": "1"}},
        {"status": 429, "headers": {"Retry-After": "1"}},
        {"status": 502},
    ],
    ids=["503", "429", "502"],
)
def test_unsafe_methods_are_never_retried(api, client, method, path, call, failure):
    api.add(method, f"{BASE}{path}", **failure)
    with pytest.raises((ServerError, RateLimitedError)):
        call(client)
    assert len(api.calls) == 1


def test_client_side_refusals_are_not_retried_either(api, client):
    with pytest.raises(InvalidInputError):
        client.send_fax("", cover_page=True)
    assert len(api.calls) == 0


def test_a_not_found_get_is_final(api, client):
    api.get(INFO, status=404)
    with pytest.raises(NotFoundError):
        client.fax_info(MESSAGE_ID)
    assert len(api.calls) == 1
