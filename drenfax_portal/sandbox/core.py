"""The sandbox's running state: store, clock, account, background threads, webhooks, faults."""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from . import faxes, numbers
from .clock import Clock
from .config import SandboxConfig, generate_account_id, generate_api_key
from .documents import Attachment, inbound_fax_pdf, placeholder_fax_pdf, render_fax
from .errors import InvalidInput
from .faults import FaultRegistry
from .store import Store
from .webhooks import WebhookDispatcher

log = logging.getLogger(__name__)


# The share of invented inbound faxes whose caller id is our own number echoed back (some
# carriers do it); with an empty CSID (one in CSIDS) the portal must still name a sender.
ECHOED_CALLER_ID = 0.1


class FixedWindow:
    """At most `limit` calls per key in each fixed window of `window` real seconds (the
    provider's "8 a minute, then 429 until the minute resets"); answers the wait otherwise.

    Windows start at multiples of `window` on the wall clock, as a per-minute counter
    does: calls late in one window and early in the next may come close together.
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._counts: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Record a call; 0 when allowed, else the seconds until the window resets."""
        now = time.time()
        start = now - now % self.window
        with self._lock:
            window_start, count = self._counts.get(key, (start, 0))
            if window_start != start:
                count = 0
            if count >= self.limit:
                return max(start + self.window - now, 0.001)
            self._counts[key] = (start, count + 1)
            return 0.0

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.calls: dict[str, int] = {}
            self.responses: dict[str, dict[str, int]] = {}
            self.since = time.time()

    def record(self, key: str, status: int | str) -> None:
        with self._lock:
            self.calls[key] = self.calls.get(key, 0) + 1
            by_status = self.responses.setdefault(key, {})
            by_status[str(status)] = by_status.get(str(status), 0) + 1

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "since": self.since,
                "calls": dict(sorted(self.calls.items())),
                "responses": {k: dict(v) for k, v in sorted(self.responses.items())},
                "totalCalls": sum(self.calls.values()),
            }


class SandboxCore:
    def __init__(self, config: SandboxConfig, *, resolve_route=None) -> None:
        self.config = config
        self.clock = Clock()
        self.stopping = threading.Event()
        self.store = Store(config.state)
        self.account_id = (
            config.account_id or self.store.get_meta("account_id") or generate_account_id()
        )
        self.api_key = config.api_key or self.store.get_meta("api_key") or generate_api_key()
        self.store.set_meta("account_id", self.account_id)
        self.store.set_meta("api_key", self.api_key)
        with self.store.tx() as conn:
            numbers.ensure_initial_numbers(
                conn, account_id=self.account_id, count=config.numbers, now=self.clock.now()
            )
        self.stats = Stats()
        self.faults = FaultRegistry(resolve_route or (lambda endpoint: endpoint))
        self.history_limiter = FixedWindow(*config.history_limit)
        self.webhooks = WebhookDispatcher(self)
        self._wake = threading.Event()
        self._threads = [
            threading.Thread(target=self._lifecycle, name="sandbox-lifecycle", daemon=True)
        ]
        if config.inbound_every > 0:
            self._threads.append(
                threading.Thread(target=self._inbound_timer, name="sandbox-inbound", daemon=True)
            )

    @property
    def speed(self) -> float:
        return self.config.speed

    @property
    def strict(self) -> bool:
        return self.config.strict

    def send_latency(self) -> float:
        """Seconds the next send's answer waits (--send-latency)."""
        low, high = self.config.send_latency_range
        return random.uniform(low, high) if high > low else low

    def start(self) -> None:
        self.webhooks.start()
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self.webhooks.stop()
        self.store.close()

    def wake(self) -> None:
        """Tell the lifecycle thread that a fax was created or the clock moved."""
        self._wake.set()

    def emit(self, fax: dict, event: str) -> None:
        self.webhooks.enqueue(fax, event)

    @contextmanager
    def write(self) -> Iterator[tuple[sqlite3.Connection, list[tuple[dict, str]]]]:
        """A transaction and the webhook events it causes, as `(conn, events)`.

        The events are queued after the commit but before the store lock is released, so
        a fax's events are queued in the order its changes were committed, whichever thread
        (a request or the lifecycle) made them.
        """
        events: list[tuple[dict, str]] = []
        with self.store.locked():
            with self.store.tx() as conn:
                yield conn, events
            for fax, event in events:
                self.emit(fax, event)

    # --- lifecycle --------------------------------------------------------------------------------
    def _lifecycle(self) -> None:
        while not self.stopping.is_set():
            try:
                next_due = self.step_due_faxes()
            except Exception:
                if self.stopping.is_set():
                    return
                log.exception("sandbox lifecycle step failed")
                next_due = None
            now = self.clock.now()
            timeout = 0.5 if next_due is None else min(max(next_due - now, 0.0), 0.5)
            if timeout > 0:
                self._wake.wait(timeout)
            self._wake.clear()

    def step_due_faxes(self) -> float | None:
        """Advance every fax whose next step is due by one step; answer the next due time."""
        now = self.clock.now()
        with self.write() as (conn, events):
            rows = conn.execute(
                "SELECT data, plan, next_event_at FROM faxes WHERE next_event_at IS NOT NULL "
                "AND next_event_at <= ? ORDER BY next_event_at LIMIT 500",
                (now,),
            ).fetchall()
            for row in rows:
                fax, plan = json.loads(row["data"]), json.loads(row["plan"])
                event, next_at = faxes.advance(
                    fax, plan, due=row["next_event_at"], now=now, speed=self.speed
                )
                faxes.update_fax(conn, fax, plan, next_at)
                events.append((fax, event))
            row = conn.execute(
                "SELECT MIN(next_event_at) FROM faxes WHERE next_event_at IS NOT NULL"
            ).fetchone()
        return row[0]

    def advance_clock(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.wake()

    # --- inbound ----------------------------------------------------------------------------------
    def _inbound_timer(self) -> None:
        rng = random.Random()
        while not self.stopping.wait(self.config.inbound_every):
            try:
                self.create_inbound(pages=rng.randint(1, 3), rng=rng)
            except InvalidInput:
                pass  # no active number to receive on
            except Exception:
                if self.stopping.is_set():
                    return
                log.exception("sandbox inbound fax failed")

    def create_inbound(
        self,
        *,
        to: str | None = None,
        sender: str | None = None,
        csid: str | None = None,
        pages: int = 1,
        rng: random.Random | None = None,
    ) -> dict:
        """Receive a fax on one of the account's active numbers (a random one by default)."""
        rng = rng or random.Random()
        with self.store.read() as conn:
            active = numbers.active_numbers(conn, self.account_id)
        if to:
            try:
                wanted, _ = faxes.normalise_destination(to)
            except InvalidInput as exc:
                raise InvalidInput(f"to: {exc.message}") from None
            active = [r for r in active if "+1" + r["number"] == wanted]
            if not active:
                raise InvalidInput(f"to: {to} is not an active number of this account")
        elif not active:
            raise InvalidInput("the account has no active number to receive on")
        number_row = rng.choice(active)
        if sender:
            try:
                sender, _ = faxes.normalise_destination(sender)
            except InvalidInput as exc:
                raise InvalidInput(f"from: {exc.message}") from None
        elif rng.random() < ECHOED_CALLER_ID:
            sender = "+1" + number_row["number"]  # some carriers pass our own number on
        else:
            sender = faxes.random_sender(rng)
        if csid is None:
            csid = rng.choice(faxes.CSIDS)
        now = self.clock.now()
        message_id = str(uuid.uuid4())
        fax = faxes.inbound_fax(
            account_id=self.account_id,
            number_row=number_row,
            sender=sender,
            csid=csid,
            pages=pages,
            now=now,
            message_id=message_id,
        )
        pdf = inbound_fax_pdf(
            message_id=message_id,
            sender=sender,
            csid=csid,
            receiver=fax["faxNumber"],
            pages=pages,
            date=fax["createdAt"],
        )
        with self.write() as (conn, events):
            faxes.insert_fax(conn, fax, {"inbound": True}, None)
            faxes.store_documents(conn, message_id, [Attachment("fax.pdf", "pdf", pages, pdf)])
            events.append((fax, "fax.inbound"))
        return fax

    # --- documents --------------------------------------------------------------------------------
    def render_pdf(self, message_id: str) -> bytes:
        """The fax's PDF: stored documents behind its cover page, or placeholder pages."""
        with self.store.read() as conn:
            fax, plan = faxes.load_fax(conn, account_id=self.account_id, message_id=message_id)
            attachments = faxes.load_documents(conn, fax["messageId"])
        if not attachments and not plan.get("cover"):
            return placeholder_fax_pdf(fax=fax)
        cover = plan.get("cover")
        return render_fax(cover=cover, attachments=attachments, title=f"Fax {fax['messageId']}")

    def info(self) -> dict:
        with self.store.read() as conn:
            rows = numbers.active_numbers(conn, self.account_id)
        return {
            "accountId": self.account_id,
            "apiKey": self.api_key,
            "speed": self.speed,
            "historyRate": self.config.history_rate,
            "retryAfter": self.config.retry_after,
            "strict": self.config.strict,
            "errorFormat": self.config.error_format,
            "sendLatency": str(self.config.send_latency),
            "inboundEvery": self.config.inbound_every,
            "state": str(self.config.state) if self.config.state else None,
            "clockOffset": self.clock.offset,
            "webhook": {"url": self.webhooks.url, "format": self.webhooks.format},
            "numbers": [{"uuid": r["uuid"], "number": r["number"]} for r in rows],
        }
