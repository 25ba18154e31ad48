"""Client-side rate limiting for endpoints with a published limit (fax history: 8 per minute
per account).

The interface is one non-blocking call, so that an implementation shared across processes
(a database table, a cache) stays a single atomic "take a token or tell me how long"
operation, and all waiting happens in one place: the client, with its injectable sleep and
its time budget.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = ["InProcessRateLimiter", "RateLimiter"]


@runtime_checkable
class RateLimiter(Protocol):
    """What `DrenfaxClient(rate_limiter=...)` needs.

    `try_acquire(key)` takes one token for `key` if one is free and returns `0.0`;
    otherwise it takes nothing and returns the number of seconds (> 0) after which a token
    should be free. It must not block, and must be safe to call from several threads (and,
    for a shared implementation, several processes) at once.

    The client calls it before each attempt of a rate-limited request, with the account id
    as `key`. When it answers a wait, the client sleeps that long and asks again if the
    wait fits its retry time budget, and otherwise raises `RateLimitedError` with
    `retry_after` set to the wait, without sending anything.
    """

    def try_acquire(self, key: str) -> float:
        """Take a token for `key` and return 0.0, or return the seconds until one is free."""
        ...

    # Optional: `completed(key)`, when a limiter defines it, is called once the request that
    # took the token has finished (answered or failed). The provider counts a call when it
    # arrives, which is some time after the token was taken; a limiter shared by several
    # processes can re-date the token to this moment, an upper bound of the arrival, so that
    # transit delays never squeeze a ninth call into the provider's window.


class InProcessRateLimiter:
    """A thread-safe sliding-window limiter: at most `rate` tokens per `per` seconds per key.

    It only sees the calls of its own process; the portal shares a limit across processes
    by passing an implementation backed by its database instead.
    """

    def __init__(
        self, rate: int = 8, per: float = 60.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate < 1 or per <= 0:
            raise ValueError("rate must be at least 1 and per positive")
        self.rate = rate
        self.per = per
        self._clock = clock
        self._lock = threading.Lock()
        self._taken: dict[str, deque[float]] = {}

    def try_acquire(self, key: str) -> float:
        """Take a token for `key` and return 0.0, or return the seconds until one is free."""
        with self._lock:
            now = self._clock()
            taken = self._taken.setdefault(key, deque())
            # Tokens taken a full window ago no longer count.
            while taken and taken[0] <= now - self.per:
                taken.popleft()
            if len(taken) < self.rate:
                taken.append(now)
                return 0.0
            # Never 0.0 here: that would read as "token taken" (float rounding at the edge).
            return max(taken[0] + self.per - now, 0.001)

    def __repr__(self) -> str:
        return f"InProcessRateLimiter(rate={self.rate}, per={self.per})"
