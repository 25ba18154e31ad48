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

from faxes.models import RateLimitToken
from faxes.ratelimit import DatabaseRateLimiter, lease_acquire, lease_release

BASE_DIR = Path(__file__).resolve().parents[2]


def assert_never_more_than(rate: int, per: float, times: list) -> None:
    times = sorted(times)
    for first, later in zip(times, times[rate:], strict=False):
        assert (later - first).total_seconds() >= per, (first, later)


def take(limiter: DatabaseRateLimiter, key: str, sleep=time.sleep) -> float:
    """Wait for a token like the client does; returns the total wait."""
    waited = 0.0
    while (wait := limiter.try_acquire(key)) > 0:
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
        assert limiter.try_acquire("acct") == 0
        clock[0] += timedelta(seconds=1)
    # The first token (t=0) leaves the window at t=60; it is now t=8.
    assert limiter.try_acquire("acct") == pytest.approx(52, abs=0.01)
    assert take(limiter, "acct", sleep) == pytest.approx(52, abs=0.01)
    assert RateLimitToken.objects.filter(waited__gt=51).count() == 1


@pytest.mark.django_db
def test_a_token_counts_from_the_end_of_its_longest_request_until_completed(fake_clock):
    clock, _ = fake_clock
    start = clock[0]
    limiter = DatabaseRateLimiter(1, 10, hold=3, now=lambda: clock[0])
    assert limiter.try_acquire("acct") == 0
    # On its way: it counts from 3 s ahead, the latest the provider may see it arrive.
    assert RateLimitToken.objects.get().taken_at == start + timedelta(seconds=3)
    assert limiter.try_acquire("acct") == pytest.approx(13)
    clock[0] += timedelta(seconds=0.5)
    limiter.completed("acct")  # it ended after half a second
    assert RateLimitToken.objects.get().taken_at == start + timedelta(seconds=0.5)
    assert limiter.try_acquire("acct") == pytest.approx(10)


@pytest.mark.django_db
def test_a_reserved_token_counts_from_its_turn_and_its_longest_request_until_settled(
    fake_clock,
):
    clock, _ = fake_clock
    start = clock[0]
    limiter = DatabaseRateLimiter(2, 10, hold=3, now=lambda: clock[0])
    assert limiter.try_acquire("acct") == 0
    limiter.completed("acct")
    clock[0] += timedelta(seconds=1)
    assert limiter.reserve("acct") == (0, RateLimitToken.objects.latest("pk").pk)
    # Free now: the token counts from now plus the longest the request may take.
    assert RateLimitToken.objects.latest("pk").taken_at == start + timedelta(seconds=4)
    clock[0] += timedelta(seconds=1)
    # Full: the first token frees up 8 s from now; a reservation takes that turn if told to.
    assert limiter.reserve("acct", within=5) == (pytest.approx(8), None)
    wait, token = limiter.reserve("acct", within=8)
    assert wait == pytest.approx(8)
    assert RateLimitToken.objects.get(pk=token).taken_at == start + timedelta(seconds=13)
    # The reserved tokens hold the window for others until they are settled.
    assert limiter.try_acquire("acct") == pytest.approx(12)
    limiter.settle(token, start + timedelta(seconds=10.5))
    assert limiter.try_acquire("acct") == pytest.approx(12)  # the one reserved at 1 s
    limiter.settle(RateLimitToken.objects.order_by("pk")[1].pk, start + timedelta(seconds=1.2))
    clock[0] = start + timedelta(seconds=11.3)
    assert limiter.try_acquire("acct") == 0  # 1.2 s left the window; 10.5 s is one of two
    limiter.completed("acct")
    assert limiter.try_acquire("acct") == pytest.approx(9.2)
    # A reservation never used is given back.
    limiter.release(token)
    assert limiter.try_acquire("acct") == 0


@pytest.mark.django_db
def test_keys_are_independent():
    limiter = DatabaseRateLimiter(1, 60)
    assert limiter.try_acquire("a") == 0
    assert limiter.try_acquire("b") == 0
    assert limiter.try_acquire("a") > 0


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
from faxes.ratelimit import DatabaseRateLimiter
limiter = DatabaseRateLimiter(4, 0.6)
for _ in range(5):
    while (wait := limiter.try_acquire("procs")) > 0:
        time.sleep(wait)
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


@pytest.mark.django_db
def test_one_holder_at_a_time_until_the_lease_expires():
    assert lease_acquire("sync", "one", ttl=60)
    assert not lease_acquire("sync", "two", ttl=60)
    assert lease_acquire("sync", "one", ttl=60)  # renewal
    lease_release("sync", "one")
    assert lease_acquire("sync", "two", ttl=0.05)
    time.sleep(0.1)
    assert lease_acquire("sync", "one", ttl=60)
