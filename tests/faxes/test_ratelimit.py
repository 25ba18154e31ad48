"""The shared history rate limiter and the worker lease."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, connections
from django.utils import timezone

from drenfax_portal.client import RateLimitedError
from faxes.models import RateLimitToken
from faxes.services.ratelimit import DatabaseRateLimiter

BASE_DIR = Path(__file__).resolve().parents[2]


def assert_never_more_than(rate: int, per: float, times: list) -> None:
    times = sorted(times)
    for first, later in zip(times, times[rate:], strict=False):
        assert (later - first).total_seconds() >= per, (first, later)


def try_take(limiter: DatabaseRateLimiter, key: str) -> float:
    """0.0 after a call made with a token, or the seconds the limiter said to wait."""
    try:
        with limiter.token(key):
            return 0.0
    except RateLimitedError as exc:
        assert exc.status_code is None  # refused here: nothing was sent
        return exc.retry_after


def take(limiter: DatabaseRateLimiter, key: str, sleep=time.sleep) -> float:
    """Back off until a token is free, as the sync does; returns the total wait."""
    waited = 0.0
    while (wait := try_take(limiter, key)) > 0:
        sleep(wait)
        waited += wait
    return waited


@pytest.fixture
def fake_clock():
    clock = [timezone.now()]

    def sleep(seconds):
        clock[0] += timedelta(seconds=seconds)

    return clock, sleep


@pytest.mark.django_db
def test_tokens_are_free_until_the_rate_then_wait_for_the_window(fake_clock):
    clock, sleep = fake_clock
    limiter = DatabaseRateLimiter(8, 60, now=lambda: clock[0])
    for _ in range(8):
        assert try_take(limiter, "acct") == 0
        clock[0] += timedelta(seconds=1)
    # The first token (t=0) leaves the window at t=60; it is now t=8.
    assert try_take(limiter, "acct") == pytest.approx(52, abs=0.01)
    assert take(limiter, "acct", sleep) == pytest.approx(52, abs=0.01)
    assert RateLimitToken.objects.filter(waited__gt=51).count() == 1


@pytest.mark.django_db
def test_a_token_counts_from_the_end_of_its_call(fake_clock):
    # The provider counts a call when it arrives, never later than the call's end.
    clock, _ = fake_clock
    limiter = DatabaseRateLimiter(1, 10, now=lambda: clock[0])
    with limiter.token("acct"):
        clock[0] += timedelta(seconds=3)  # a slow call
    assert try_take(limiter, "acct") == pytest.approx(10)


@pytest.mark.django_db
def test_a_refusal_names_the_key_and_when_to_retry(fake_clock):
    clock, _ = fake_clock
    limiter = DatabaseRateLimiter(1, 60, now=lambda: clock[0])
    with limiter.token("acct-1"):
        pass
    with pytest.raises(RateLimitedError, match="acct-1") as caught, limiter.token("acct-1"):
        pytest.fail("no call may be made without a token")
    assert caught.value.retry_after == pytest.approx(60)
    assert caught.value.permanent is False


@pytest.mark.django_db
def test_keys_are_independent():
    limiter = DatabaseRateLimiter(1, 60)
    assert try_take(limiter, "a") == 0
    assert try_take(limiter, "b") == 0
    assert try_take(limiter, "a") > 0


@pytest.mark.django_db
def test_a_429_pause_is_honoured_by_every_caller(fake_clock):
    clock, sleep = fake_clock
    DatabaseRateLimiter(8, 60, now=lambda: clock[0]).penalize("acct", 30)
    other_process = DatabaseRateLimiter(8, 60, now=lambda: clock[0])
    assert take(other_process, "acct", sleep) == pytest.approx(30, abs=0.01)


@pytest.mark.django_db(transaction=True)
def test_three_threads_never_pass_more_than_the_rate_per_window():
    rate, per = 4, 0.6
    errors = []

    def hammer():
        try:
            limiter = DatabaseRateLimiter(rate, per)
            for _ in range(5):
                take(limiter, "shared")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    times = list(RateLimitToken.objects.filter(key="shared").values_list("taken_at", flat=True))
    assert len(times) == 15
    assert_never_more_than(rate, per, times)


HAMMER = """
import django, time
django.setup()
from drenfax_portal.client import RateLimitedError
from faxes.services.ratelimit import DatabaseRateLimiter
limiter = DatabaseRateLimiter(4, 0.6)
for _ in range(5):
    while True:
        try:
            with limiter.token("procs"):
                break
        except RateLimitedError as exc:
            time.sleep(exc.retry_after)
"""


@pytest.mark.django_db(transaction=True)
def test_three_processes_never_pass_more_than_the_rate_per_window():
    if connection.vendor != "postgresql":
        pytest.skip("processes share the database on the PostgreSQL lane")
    settings_dict = connection.settings_dict
    url = (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
        f"/{settings_dict['NAME']}"
    )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "drenfax_portal.settings"}
    procs = [
        subprocess.Popen([sys.executable, "-c", HAMMER], cwd=BASE_DIR, env=env) for _ in range(3)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    times = list(RateLimitToken.objects.filter(key="procs").values_list("taken_at", flat=True))
    assert len(times) == 15
    assert_never_more_than(4, 0.6, times)
