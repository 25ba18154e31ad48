"""The sandbox's options, shared by the CLI and the programmatic API."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

# The provider's webhook retry schedule in seconds (divided by `speed` in the sandbox).
WEBHOOK_RETRY_SCHEDULE = (5, 25, 120, 600, 3120, 14400, 79200)


@dataclass
class SandboxConfig:
    """Every option of `python -m drenfax_portal.sandbox`, with the same names.

    `api_key` and `account_id` are generated when left empty (or taken from the state file
    when it already holds them). `history_rate` is "N/SECONDS": N calls per fixed window of
    SECONDS, as the provider counts them (429 until the window resets; with `retry_after`
    the 429 says when, in `Retry-After`). `send_latency` is the seconds a send takes to
    answer, "S" or "MIN-MAX" (uniformly random). `strict` refuses what the real service
    may refuse although the sandbox could read it (`recipientFax` on `POST /v1/faxes`).
    `error_format` is `nested` (`{"error": {"name", "message"}}`) or `flat`.
    """

    host: str = "127.0.0.1"
    port: int = 8765
    api_key: str | None = None
    account_id: str | None = None
    state: str | Path | None = None
    webhook_url: str | None = None
    webhook_auth: str | None = None
    webhook_format: str = "json"
    speed: float = 1.0
    inbound_every: float = 0.0
    history_rate: str = "8/60"
    numbers: int = 3
    strict: bool = False
    error_format: str = "nested"
    retry_after: bool = True
    send_latency: str | float = 0
    webhook_timeout: float = 10.0
    log_requests: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError with a readable message for any bad option."""
        if not 0 <= int(self.port) <= 65535:
            raise ValueError(f"port must be between 0 and 65535, not {self.port}")
        if self.speed <= 0:
            raise ValueError(f"speed must be positive, not {self.speed}")
        if self.inbound_every < 0:
            raise ValueError("inbound_every must be 0 (off) or a number of seconds")
        if self.numbers < 0 or self.numbers > 100:
            raise ValueError("numbers must be between 0 and 100")
        if self.webhook_format not in ("json", "multipart"):
            raise ValueError("webhook_format must be json or multipart")
        if self.error_format not in ("nested", "flat"):
            raise ValueError("error_format must be nested or flat")
        if self.account_id:
            try:
                self.account_id = str(uuid.UUID(str(self.account_id)))
            except ValueError:
                raise ValueError(f"account_id must be a UUID, not {self.account_id!r}") from None
        if self.api_key is not None and not re.fullmatch(r"[!-~]+", self.api_key):
            raise ValueError("api_key must be non-empty printable ASCII without spaces")
        if self.webhook_url:
            parts = urlsplit(self.webhook_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"webhook_url must be an http(s) URL, not {self.webhook_url!r}")
        if self.webhook_auth and ":" not in self.webhook_auth:
            raise ValueError("webhook_auth must be user:password")
        self.history_limit  # noqa: B018 - parses history_rate
        self.send_latency_range  # noqa: B018 - parses send_latency

    @property
    def history_limit(self) -> tuple[int, float]:
        """(requests, window seconds) from `history_rate`."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", str(self.history_rate))
        if not match or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
            raise ValueError(f"history_rate must look like 8/60, not {self.history_rate!r}")
        return int(match.group(1)), float(match.group(2))

    @property
    def send_latency_range(self) -> tuple[float, float]:
        """(shortest, longest) seconds a send takes to answer, from `send_latency`."""
        match = re.fullmatch(
            r"\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?)\s*)?", str(self.send_latency)
        )
        low, high = (float(match[1]), float(match[2] or match[1])) if match else (0.0, -1.0)
        if not 0 <= low <= high <= 600:
            raise ValueError(
                f"send_latency must be seconds (0-600) or MIN-MAX, not {self.send_latency!r}"
            )
        return low, high

    @classmethod
    def option_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


def generate_api_key() -> str:
    return "sbx_" + secrets.token_urlsafe(24)


def generate_account_id() -> str:
    return str(uuid.uuid4())
