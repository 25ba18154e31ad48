"""Only GETs are retried, on transient failures, within attempts and a time budget; a POST,
PATCH or DELETE is sent exactly once whatever happens (a fax must never go out twice)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from drenfax_portal.client import (
    DrenfaxClient,
    DrenfaxError,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
    RetryPolicy,
    ServerError,
    TransportError,
)

from . import examples
from .conftest import BASE, MESSAGE_ID, NUMBER_ID

INFO = f"{BASE}/v1/fax/{MESSAGE_ID}/info"


def refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection: refused")
    return requests.ConnectionError(MaxRetryError(None, INFO, reason))


@pytest.mark.parametrize("status", [502, 503, 504])
def test_get_is_retried_after_a_transient_status_then_succeeds(api, client, clock, status):
    api.get(INFO, status=status)
    api.get(INFO, body=examples.FAX_INFO)

    assert client.fax_info(MESSAGE_ID).message_id == MESSAGE_ID
    assert len(api.calls) == 2
    assert len(clock.sleeps) == 1
    assert 0 <= clock.sleeps[0] <= 0.5  # first backoff: full jitter under the base


def test_a_429_without_retry_after_is_not_retried(api, client, clock):
    # The provider's window resets on the minute: a backoff of a second would be refused
    # again, so the caller (the sync) pauses instead of the client looping.
    api.get(INFO, status=429, json={"error": {"name": "RateLimitError", "message": "slow"}})

    with pytest.raises(RateLimitedError) as caught:
        client.fax_info(MESSAGE_ID)
    assert caught.value.retry_after is None
    assert len(api.calls) == 1
    assert clock.sleeps == []


def test_get_is_retried_after_a_connection_that_never_opened(api, client, clock):
    api.get(INFO, body=refused())
    api.get(INFO, body=requests.exceptions.ConnectTimeout("connect timed out"))
    api.get(INFO, body=examples.FAX_INFO)

    assert client.fax_info(MESSAGE_ID).status == "success"
    assert len(api.calls) == 3


def test_get_gives_up_after_the_attempt_bound(api, client, clock):
    for _ in range(4):
        api.get(INFO, status=503, json={"error": "maintenance"})

    with pytest.raises(ServerError, match="maintenance") as caught:
        client.fax_info(MESSAGE_ID)
    assert caught.value.status_code == 503
    assert len(api.calls) == 4
    assert len(clock.sleeps) == 3
    # Exponential, capped, fully jittered: each pause under base * 2**(n-1).
    for attempt, pause in enumerate(clock.sleeps, start=1):
        assert 0 <= pause <= 0.5 * 2 ** (attempt - 1)


def test_get_gives_up_when_the_time_budget_is_spent(api, clock):
    policy = RetryPolicy(max_attempts=10, total_seconds=5.0)
    for _ in range(3):
        api.get(INFO, status=503, headers={"Retry-After": "2"})
    with (
        DrenfaxClient(BASE, "key", retry=policy, sleep=clock.sleep, clock=clock) as client,
        pytest.raises(ServerError),
    ):
        client.fax_info(MESSAGE_ID)
    # 2 s + 2 s fit in 5 s; a third pause of 2 s would end past the budget.
    assert clock.sleeps == [2.0, 2.0]
    assert len(api.calls) == 3


def test_get_honours_retry_after_seconds(api, client, clock):
    api.get(INFO, status=429, headers={"Retry-After": "7"})
    api.get(INFO, body=examples.FAX_INFO)

    client.fax_info(MESSAGE_ID)
    assert clock.sleeps == [7.0]


def test_get_honours_retry_after_as_an_http_date(api, client, clock):
    when = datetime.now(UTC) + timedelta(seconds=20)
    api.get(INFO, status=503, headers={"Retry-After": format_datetime(when, usegmt=True)})
    api.get(INFO, body=examples.FAX_INFO)

    client.fax_info(MESSAGE_ID)
    assert len(clock.sleeps) == 1
    assert 15 <= clock.sleeps[0] <= 20


def test_a_retry_after_longer_than_the_budget_raises_at_once(api, client, clock):
    api.get(INFO, status=429, headers={"Retry-After": "120"}, json={"error": "Rate limit"})

    with pytest.raises(RateLimitedError) as caught:
        client.fax_info(MESSAGE_ID)
    assert caught.value.retry_after == 120.0
    assert clock.sleeps == []
    assert len(api.calls) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 500, 501])
def test_get_is_not_retried_after_other_statuses(api, client, clock, status):
    api.get(INFO, status=status)
    with pytest.raises(DrenfaxError):
        client.fax_info(MESSAGE_ID)
    assert len(api.calls) == 1
    assert clock.sleeps == []


def test_get_is_not_retried_after_a_read_timeout(api, client, clock):
    api.get(INFO, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(TransportError) as caught:
        client.fax_info(MESSAGE_ID)
    assert caught.value.request_sent is True
    assert len(api.calls) == 1


def test_a_download_is_retried_before_the_stream_starts(api, client, clock):
    url = f"{BASE}/v1/fax/{MESSAGE_ID}/download"
    api.get(url, status=502)
    api.get(url, body=b"%PDF-1.4 ok", content_type="application/pdf")

    assert client.download_fax(MESSAGE_ID) == b"%PDF-1.4 ok"
    assert len(api.calls) == 2


def test_the_retry_policy_can_be_turned_off(api, clock):
    api.get(INFO, status=503)
    with (
        DrenfaxClient(
            BASE, "key", retry=RetryPolicy(max_attempts=1), sleep=clock.sleep, clock=clock
        ) as client,
        pytest.raises(ServerError),
    ):
        client.fax_info(MESSAGE_ID)
    assert len(api.calls) == 1


# --- never retried ------------------------------------------------------------------------


def test_a_send_that_times_out_is_attempted_once_and_may_have_been_sent(api, client, clock):
    api.post(f"{BASE}/v1/faxes", body=requests.exceptions.ReadTimeout("read timed out"))

    with pytest.raises(TransportError) as caught:
        client.send_fax("+13125550100", cover_page=True)
    assert caught.value.request_sent is True
    assert len(api.calls) == 1
    assert clock.sleeps == []


def test_a_send_that_could_not_connect_is_attempted_once_and_was_not_sent(api, client, clock):
    api.post(f"{BASE}/v1/faxes", body=refused())

    with pytest.raises(TransportError) as caught:
        client.send_fax("+13125550100", cover_page=True)
    assert caught.value.request_sent is False
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
        {"body": requests.exceptions.ConnectTimeout("connect timed out")},
        {"body": requests.exceptions.ReadTimeout("read timed out")},
    ],
    ids=["503", "429", "502", "connect-timeout", "read-timeout"],
)
def test_unsafe_methods_are_never_retried(api, client, clock, method, path, call, failure):
    api.add(method, f"{BASE}{path}", **failure)
    with pytest.raises((ServerError, RateLimitedError, TransportError)):
        call(client)
    assert len(api.calls) == 1
    assert clock.sleeps == []


def test_client_side_refusals_are_not_retried_either(api, client, clock):
    with pytest.raises(InvalidInputError):
        client.send_fax("", cover_page=True)
    assert len(api.calls) == 0


def test_a_not_found_get_is_final(api, client, clock):
    api.get(INFO, status=404)
    with pytest.raises(NotFoundError):
        client.fax_info(MESSAGE_ID)
    assert clock.sleeps == []
