"""Fault injection: make the next N calls of an endpoint (or N webhooks) misbehave.

A fault is a JSON object posted to `POST /_sandbox/faults` (or a list of them):

    {"endpoint": "POST /v1/faxes", "fault": "503", "count": 2}
    {"endpoint": "POST /v1/faxes", "fault": "stall_after_create", "stall_seconds": 30}
    {"webhook": "duplicate", "count": 1}

`endpoint` is "METHOD /path" as in the reference (`{messageId}`-style placeholders or concrete
values; the fault applies to every call of that route); "*" or a METHOD of "*" matches more.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass

from .errors import InvalidInput

# Answered instead of processing the request: nothing happens on the sandbox's side.
BEFORE = {"500", "503", "429", "close"}
# The request is processed (a fax gets created), then the answer goes wrong.
AFTER = {"close_after_create", "stall_after_create", "malformed_json"}
ALIASES = {"stall": "stall_after_create", "close_after": "close_after_create"}
WEBHOOK_FAULTS = {"duplicate", "out_of_order", "drop"}


@dataclass
class Fault:
    id: str
    count: int
    remaining: int
    endpoint: str | None = None
    fault: str | None = None
    webhook: str | None = None
    stall_seconds: float = 30.0
    retry_after: int = 1

    def as_dict(self) -> dict:
        data = asdict(self)
        return {k: v for k, v in data.items() if v is not None}


class FaultRegistry:
    def __init__(self, resolve: Callable[[str], str]) -> None:
        """`resolve` turns "METHOD /path" into a route key, raising InvalidInput if unknown."""
        self._resolve = resolve
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, spec: dict) -> Fault:
        if not isinstance(spec, dict):
            raise InvalidInput("a fault must be a JSON object")
        unknown = set(spec) - {
            "endpoint",
            "fault",
            "webhook",
            "count",
            "stall_seconds",
            "retry_after",
        }
        if unknown:
            raise InvalidInput(f"unknown fault keys: {', '.join(sorted(unknown))}")
        count = spec.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100000:
            raise InvalidInput("count must be an integer between 1 and 100000")
        fault = Fault(id=str(uuid.uuid4()), count=count, remaining=count)
        if "webhook" in spec:
            if "endpoint" in spec or "fault" in spec:
                raise InvalidInput("a fault is either an endpoint fault or a webhook fault")
            if spec["webhook"] not in WEBHOOK_FAULTS:
                raise InvalidInput(f"webhook must be one of {', '.join(sorted(WEBHOOK_FAULTS))}")
            fault.webhook = spec["webhook"]
        else:
            kind = ALIASES.get(str(spec.get("fault")), str(spec.get("fault")))
            if kind not in BEFORE | AFTER:
                names = ", ".join(sorted(BEFORE | AFTER))
                raise InvalidInput(f"fault must be one of {names} (or a webhook fault)")
            endpoint = spec.get("endpoint")
            if not isinstance(endpoint, str) or not endpoint.strip():
                raise InvalidInput('endpoint is required, like "POST /v1/faxes" or "*"')
            fault.fault = kind
            fault.endpoint = self._resolve(endpoint.strip())
            stall = spec.get("stall_seconds", 30)
            if (
                isinstance(stall, bool)
                or not isinstance(stall, int | float)
                or not 0 <= stall <= 3600
            ):
                raise InvalidInput("stall_seconds must be a number between 0 and 3600")
            fault.stall_seconds = float(stall)
            retry_after = spec.get("retry_after", 1)
            if isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0:
                raise InvalidInput("retry_after must be a non-negative integer")
            fault.retry_after = retry_after
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, route_key: str) -> Fault | None:
        """The first active fault for this route, consuming one of its count."""
        method, _, path = route_key.partition(" ")
        with self._lock:
            for fault in self._faults:
                if fault.endpoint is None:
                    continue
                f_method, _, f_path = fault.endpoint.partition(" ")
                if fault.endpoint == "*" or (f_method in ("*", method) and f_path == path):
                    return self._consume(fault)
        return None

    def take_webhook(self) -> str | None:
        with self._lock:
            for fault in self._faults:
                if fault.webhook:
                    return self._consume(fault).webhook
        return None

    def _consume(self, fault: Fault) -> Fault:
        fault.remaining -= 1
        if fault.remaining <= 0:
            self._faults.remove(fault)
        return fault

    def list(self) -> list[dict]:
        with self._lock:
            return [f.as_dict() for f in self._faults]

    def clear(self) -> int:
        with self._lock:
            count = len(self._faults)
            self._faults.clear()
        return count
