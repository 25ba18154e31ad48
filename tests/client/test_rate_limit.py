"""Fax history takes a rate-limiter token per account before each request (8 per minute)."""

from __future__ import annotations

import threading

import pytest

from drenfax_portal.client import (
    DrenfaxClient,
    InProcessRateLimiter,
    RateLimitedError,
    RateLimiter,
)

from . import examples
from .conftest import ACCOUNT_ID, BASE

HISTORY = f"{BASE}/v1/fax/history"


# --- InProcessRateLimiter -----------------------------------------------------------------


def test_limiter_gives_eight_tokens_then_says_how_long_to_wait(clock):
    limiter = InProcessRateLimiter(rate=8, per=60.0, clock=clock)

    assert [limiter.try_acquire("acct") for _ in range(8)] == [0.0] * 8
    assert limiter.try_acquire("acct") == 60.0
    clock.now += 59.5
    assert limiter.try_acquire("acct") == pytest.approx(0.5)


def test_limiter_window_slides_token_by_token(clock):
    limiter = InProcessRateLimiter(rate=2, per=10.0, clock=clock)
    assert limiter.try_acquire("a") == 0.0
    clock.now += 4
    assert limiter.try_acquire("a") == 0.0
    assert limiter.try_acquire("a") == 6.0
    clock.now += 6  # the first token is a full window old
    assert limiter.try_acquire("a") == 0.0
    assert limiter.try_acquire("a") == 4.0


def test_limiter_waits_do_not_consume_tokens(clock):
    limiter = InProcessRateLimiter(rate=1, per=10.0, clock=clock)
    limiter.try_acquire("a")
    for _ in range(5):
        assert limiter.try_acquire("a") == 10.0
    clock.now += 10
    assert limiter.try_acquire("a") == 0.0


def test_limiter_counts_each_key_apart(clock):
    limiter = InProcessRateLimiter(rate=1, per=60.0, clock=clock)
    assert limiter.try_acquire("account-1") == 0.0
    assert limiter.try_acquire("account-2") == 0.0
    assert limiter.try_acquire("account-1") > 0


def test_limiter_is_thread_safe():
    limiter = InProcessRateLimiter(rate=8, per=3600.0)
    results: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(32)

    def worker() -> None:
        start.wait()
        for _ in range(5):
            wait = limiter.try_acquire("acct")
            with lock:
                results.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(0.0) == 8
    assert len(results) == 160


@pytest.mark.parametrize(("rate", "per"), [(0, 60.0), (8, 0.0), (8, -1.0)])
def test_limiter_refuses_a_nonsense_rate(rate, per):
    with pytest.raises(ValueError, match="rate"):
        InProcessRateLimiter(rate=rate, per=per)


def test_limiter_satisfies_the_protocol():
    assert isinstance(InProcessRateLimiter(), RateLimiter)


# --- the client and its limiter -----------------------------------------------------------


class RecordingLimiter:
    """A limiter that grants every token and remembers the keys, like a shared DB one."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def try_acquire(self, key: str) -> float:
        self.keys.append(key)
        return 0.0


def test_history_takes_a_token_keyed_by_the_account(api, clock):
    limiter = RecordingLimiter()
    api.get(HISTORY, body=examples.HISTORY)
    with DrenfaxClient(BASE, "key", rate_limiter=limiter, sleep=clock.sleep, clock=clock) as client:
        client.fax_history(ACCOUNT_ID)
    assert limiter.keys == [ACCOUNT_ID]


def test_history_takes_a_token_for_each_attempt(api, clock):
    limiter = RecordingLimiter()
    api.get(HISTORY, status=503)
    api.get(HISTORY, body=examples.HISTORY)
    with DrenfaxClient(BASE, "key", rate_limiter=limiter, sleep=clock.sleep, clock=clock) as client:
        client.fax_history(ACCOUNT_ID)
    assert limiter.keys == [ACCOUNT_ID, ACCOUNT_ID]


def test_other_endpoints_take_no_token(api, clock):
    limiter = RecordingLimiter()
    api.get(f"{BASE}/coverpages", json=[])
    with DrenfaxClient(BASE, "key", rate_limiter=limiter, sleep=clock.sleep, clock=clock) as client:
        client.cover_pages()
    assert limiter.keys == []


def test_ninth_history_call_in_a_minute_raises_without_a_request(api, client, clock):
    for _ in range(8):
        api.get(HISTORY, body=examples.HISTORY)
    for _ in range(8):
        client.fax_history(ACCOUNT_ID)

    with pytest.raises(RateLimitedError) as caught:
        client.fax_history(ACCOUNT_ID)
    # A token frees in 60 s, past the 30 s budget: refused at once, nothing sent.
    assert caught.value.retry_after == 60.0
    assert caught.value.status_code is None
    assert caught.value.permanent is False
    assert ACCOUNT_ID in str(caught.value)
    assert len(api.calls) == 8
    assert clock.sleeps == []


def test_ninth_history_call_waits_for_a_token_that_frees_within_the_budget(api, client, clock):
    for _ in range(9):
        api.get(HISTORY, body=examples.HISTORY)
    for _ in range(8):
        client.fax_history(ACCOUNT_ID)
    clock.now += 45

    client.fax_history(ACCOUNT_ID)
    assert clock.sleeps == [15.0]
    assert len(api.calls) == 9


def test_another_account_is_not_held_back(api, client, clock):
    for _ in range(9):
        api.get(HISTORY, body=examples.HISTORY)
    for _ in range(8):
        client.fax_history(ACCOUNT_ID)

    client.fax_history("another-account")
    assert clock.sleeps == []


def test_a_limiter_that_never_frees_a_token_gives_up(api, clock):
    class Stingy:
        def try_acquire(self, key: str) -> float:
            return 1.0

    with (
        DrenfaxClient(BASE, "key", rate_limiter=Stingy(), sleep=clock.sleep, clock=clock) as client,
        pytest.raises(RateLimitedError),
    ):
        client.fax_history(ACCOUNT_ID)
    assert len(api.calls) == 0
    assert len(clock.sleeps) <= 5


def test_default_limiter_is_eight_per_minute():
    client = DrenfaxClient(BASE, "key")
    assert isinstance(client.rate_limiter, InProcessRateLimiter)
    assert (client.rate_limiter.rate, client.rate_limiter.per) == (8, 60.0)
