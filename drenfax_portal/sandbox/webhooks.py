"""Webhook delivery: background workers POST each fax event to the configured URL.

Two styles, as the provider has them:
- new-style (`json`, the default): the fax object as flat JSON with the event's name in its
  `event` field: `fax.v1.inbound.complete`, `fax.v1.outbound.complete` (a terminal status)
  and `fax.v1.outbound.<status>` for every other change (`processing`, `transmitting`, ...);
- legacy (`multipart`): a form with the fax object's JSON in `data` and, for an inbound
  fax, its PDF in `attachment`. The body does not name the event (`fax.inbound`,
  `fax.outbound`, `fax.outbound.extended`); the receiver tells it from the fax.
Only the headers any HTTP client sends go with them (and Authorization with --webhook-auth).

Per-fax order is kept: a fax's events wait behind its undelivered ones (a failing event is
retried on the provider's schedule divided by --speed, up to 7 times, then given up). Faxes
are delivered in parallel by a few worker threads, so the API never waits for a receiver.
Webhook faults (duplicate, out_of_order, drop) deliberately break those guarantees.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import json
import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import requests

from .config import WEBHOOK_RETRY_SCHEDULE
from .errors import NotFound

if TYPE_CHECKING:
    from .core import SandboxCore

log = logging.getLogger(__name__)

USER_AGENT = "Drenfax-Webhooks/1.0 (sandbox)"
HOLD_SECONDS = 5.0  # an out_of_order event waits at most this long for a later one


@dataclass
class Delivery:
    id: str
    event: str
    message_id: str
    fax: dict
    attempts: int = 0
    attachment: bytes | None = None
    tags: list[str] = field(default_factory=list)


def new_style_event(delivery: Delivery) -> str:
    """The event's name in a new-style webhook, from its legacy name and the fax."""
    if delivery.event == "fax.inbound":
        return "fax.v1.inbound.complete"
    status = delivery.fax.get("status")
    if status in ("success", "failed", "cancelled"):
        return "fax.v1.outbound.complete"
    return f"fax.v1.outbound.{status}"


class WebhookDispatcher:
    def __init__(self, core: SandboxCore, *, workers: int = 4) -> None:
        self.core = core
        self.url = core.config.webhook_url
        self.auth = core.config.webhook_auth
        self.format = core.config.webhook_format
        self._cond = threading.Condition()
        self._queues: dict[str, deque[Delivery]] = {}
        self._ready: list[tuple[float, int, str]] = []
        self._scheduled: set[str] = set()
        self._busy: set[str] = set()
        self._held: list[tuple[float, Delivery]] = []
        self._seq = itertools.count()
        self._local = threading.local()
        self.log: deque[dict] = deque(maxlen=1000)
        self.counters = dict.fromkeys(
            (
                "enqueued",
                "delivered",
                "failed_attempts",
                "given_up",
                "dropped",
                "duplicated",
                "held",
            ),
            0,
        )
        self._threads = [
            threading.Thread(target=self._work, name=f"sandbox-webhook-{i}", daemon=True)
            for i in range(workers)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        with self._cond:
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))

    def configure(self, *, url: str | None, auth: str | None, fmt: str) -> None:
        with self._cond:
            self.url, self.auth, self.format = url, auth, fmt

    # --- queueing ---------------------------------------------------------------------------------
    def enqueue(self, fax: dict, event: str) -> None:
        """Queue one event for `fax` (a snapshot is taken); returns at once."""
        if not self.url:
            return
        delivery = Delivery(
            id=str(uuid.uuid4()),
            event=event,
            message_id=fax["messageId"],
            fax=json.loads(json.dumps(fax)),
        )
        fault = self.core.faults.take_webhook()
        with self._cond:
            self.counters["enqueued"] += 1
            if fault == "drop":
                self.counters["dropped"] += 1
                self._record(delivery, "dropped")
                return
            if fault == "out_of_order":
                self.counters["held"] += 1
                self._held.append((time.monotonic() + HOLD_SECONDS, delivery))
                return
            self._append(delivery)
            if fault == "duplicate":
                self.counters["duplicated"] += 1
                self._append(
                    Delivery(delivery.id, delivery.event, delivery.message_id, delivery.fax)
                )
            # Held events go out right after a later event of their fax, or of any fax when
            # theirs has no later event (terminal and inbound events).
            for item in list(self._held):
                held = item[1]
                if held.message_id == delivery.message_id or held.event != "fax.outbound.extended":
                    self._held.remove(item)
                    self._append(held)
            self._cond.notify_all()

    def _append(self, delivery: Delivery) -> None:
        queue = self._queues.setdefault(delivery.message_id, deque())
        queue.append(delivery)
        self._schedule(delivery.message_id, time.monotonic())

    def _schedule(self, key: str, due: float) -> None:
        if key in self._scheduled or key in self._busy:
            return
        self._scheduled.add(key)
        heapq.heappush(self._ready, (due, next(self._seq), key))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is queued, held or in flight (for tests)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queues or self._held or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
        return True

    # --- workers ----------------------------------------------------------------------------------
    def _work(self) -> None:
        while not self.core.stopping.is_set():
            with self._cond:
                now = time.monotonic()
                for item in [h for h in self._held if h[0] <= now]:
                    self._held.remove(item)
                    self._append(item[1])
                if not self._ready or self._ready[0][0] > now:
                    waits = [0.25]
                    if self._ready:
                        waits.append(self._ready[0][0] - now)
                    if self._held:
                        waits.append(min(h[0] for h in self._held) - now)
                    self._cond.wait(max(0.001, min(waits)))
                    continue
                _, _, key = heapq.heappop(self._ready)
                self._scheduled.discard(key)
                queue = self._queues.get(key)
                if not queue:
                    self._queues.pop(key, None)
                    continue
                self._busy.add(key)
                delivery = queue[0]
                url, auth, fmt = self.url, self.auth, self.format
            delivery.attempts += 1
            status, error = (
                self._post(delivery, url, auth, fmt) if url else (None, "no webhook URL")
            )
            ok = status is not None and 200 <= status < 300
            with self._cond:
                self._busy.discard(key)
                queue = self._queues.get(key)
                if ok or delivery.attempts > len(WEBHOOK_RETRY_SCHEDULE):
                    if queue and queue[0] is delivery:
                        queue.popleft()
                    if ok:
                        self.counters["delivered"] += 1
                        self._record(delivery, "delivered", status)
                    else:
                        self.counters["failed_attempts"] += 1
                        self.counters["given_up"] += 1
                        self._record(delivery, "given_up", status, error)
                        log.warning(
                            "webhook %s for fax %s given up after %d attempts",
                            delivery.event,
                            delivery.message_id,
                            delivery.attempts,
                        )
                    if queue:
                        self._schedule(key, time.monotonic())
                    else:
                        self._queues.pop(key, None)
                else:
                    self.counters["failed_attempts"] += 1
                    self._record(delivery, "retrying", status, error)
                    delay = WEBHOOK_RETRY_SCHEDULE[delivery.attempts - 1] / self.core.speed
                    self._schedule(key, time.monotonic() + delay)
                self._cond.notify_all()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _post(self, delivery: Delivery, url: str, auth: str | None, fmt: str):
        headers = {"User-Agent": USER_AGENT}
        if auth:
            headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
        files = body = None
        if fmt == "multipart":  # requests encodes the form: (None, text) is a plain field
            files = {"data": (None, json.dumps(delivery.fax))}
            if delivery.fax.get("direction") == "inbound":
                if delivery.attachment is None:
                    try:
                        delivery.attachment = self.core.render_pdf(delivery.message_id)
                    except NotFound:
                        delivery.attachment = b""
                if delivery.attachment:
                    name = f"{delivery.message_id}.pdf"
                    files["attachment"] = (name, delivery.attachment, "application/pdf")
        else:
            body = {"event": new_style_event(delivery), **delivery.fax}
        try:
            response = self._session().post(
                url,
                json=body,
                files=files,
                headers=headers,
                timeout=self.core.config.webhook_timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            return None, f"{type(exc).__name__}: {exc}"
        response.close()
        return response.status_code, None if response.ok else f"HTTP {response.status_code}"

    def _record(
        self, delivery: Delivery, result: str, status: int | None = None, error=None
    ) -> None:
        self.log.append(
            {
                "delivery": delivery.id,
                "event": delivery.event,
                "newStyleEvent": new_style_event(delivery),
                "messageId": delivery.message_id,
                "faxStatus": delivery.fax.get("status"),
                "pagesComplete": delivery.fax.get("pagesComplete"),
                "attempts": delivery.attempts,
                "result": result,
                "httpStatus": status,
                "error": error,
                "at": time.time(),
            }
        )

    def snapshot(self) -> dict:
        with self._cond:
            return {
                "url": self.url,
                "format": self.format,
                **self.counters,
                "pending": sum(len(q) for q in self._queues.values()) + len(self._held),
            }
