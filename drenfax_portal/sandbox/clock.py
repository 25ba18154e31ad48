"""Time for the sandbox: a wall clock that tests may move forward, and ISO 8601 helpers."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock seconds since the epoch, plus an offset that `advance()` grows.

    Fax timestamps, scheduled dates and the lifecycle use this clock; the history rate limit
    and webhook retries deliberately use real monotonic time instead.
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    @property
    def offset(self) -> float:
        return self._offset


def iso(ts: float) -> str:
    """`2021-06-02T13:35:18.000Z`, the provider's timestamp format (milliseconds, UTC)."""
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 date or date-time; naive values are taken as UTC.

    Raises ValueError with a readable message.
    """
    value = text.strip()
    if not value:
        raise ValueError("empty date")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{text}' is not an ISO 8601 date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Room for a day either way, so that the day after, or the moment in UTC, is a date.
    if not _EARLIEST <= moment <= _LATEST:
        raise ValueError(f"'{text}' is out of range (years 0001 to 9999)")
    return moment


_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
_LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def is_date_only(text: str) -> bool:
    return len(text.strip()) == 10 and "T" not in text


def day_after(moment: datetime) -> datetime:
    return moment + timedelta(days=1)
