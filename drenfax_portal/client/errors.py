"""Typed errors of the Drenfax client, and how HTTP answers and transport failures map to them.

Every failure leaves the client as a `DrenfaxError`, never as a `requests` exception or a
`ValueError` from a provider's answer.
"""

from __future__ import annotations

import http
import json
import math
import re
import socket
import ssl
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

# Long HTML error pages from proxies would drown the useful part of a message.
_MAX_DETAIL = 300


class DrenfaxError(Exception):
    """Base class of every error the client raises; `str()` is a readable sentence.

    `status_code` is None when no answer came. `permanent`: repeating cannot succeed (4xx,
    bad input), else transient (429, 5xx, transport). `detail` and `provider_error` are the
    provider's message and error name (`"NotAllowedError"`), when it gave them.
    """

    permanent: bool = True

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        detail: str | None = None,
        provider_error: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.detail = detail
        self.provider_error = provider_error

    def __str__(self) -> str:
        return self.message


class AuthenticationError(DrenfaxError):
    """401: the API key is missing, wrong or expired."""


class NotAllowedError(DrenfaxError):
    """403: the key is fine, but this action on this object is not allowed."""


class NotFoundError(DrenfaxError):
    """404: the fax, number, user or page does not exist (for this key)."""


class InvalidInputError(DrenfaxError):
    """400 or 422, or an argument refused before sending (then `field` names it)."""

    def __init__(self, message: str, *, field: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.field = field


class RateLimitedError(DrenfaxError):
    """429, or the caller's own limiter had no token; `retry_after` seconds when known."""

    permanent = False

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(DrenfaxError):
    """5xx: the provider failed. Transient; for a POST the outcome is unknown."""

    permanent = False


class TransportError(DrenfaxError):
    """No usable HTTP answer: timeout, connection or TLS failure, broken stream.

    `request_sent` is False only when the request certainly never reached the server; when
    in doubt it is True, and a fax whose send failed so must be reconciled, not re-sent.
    """

    permanent = False

    def __init__(self, message: str, *, request_sent: bool = True, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.request_sent = request_sent


class MalformedResponseError(DrenfaxError):
    """A 2xx answer whose body is not what the endpoint documents. Permanent: for a POST
    the action has probably happened."""


# --- mapping HTTP answers ---------------------------------------------------------------

_BY_STATUS: dict[int, type[DrenfaxError]] = {
    400: InvalidInputError,
    401: AuthenticationError,
    403: NotAllowedError,
    404: NotFoundError,
    422: InvalidInputError,
}


def error_from_response(response: requests.Response, *, method: str, path: str) -> DrenfaxError:
    """The typed error for a non-2xx answer, whichever shape its body has."""
    status = response.status_code
    name, detail = provider_error(response)
    message = f"Drenfax: {method} {path} failed with {status} {_reason(response)}"
    if detail:
        message = f"{message}: {name}: {detail}" if name else f"{message}: {detail}"
    kwargs: dict[str, Any] = {"status_code": status, "detail": detail, "provider_error": name}
    if status in _BY_STATUS:
        return _BY_STATUS[status](message, **kwargs)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimitedError(message, retry_after=retry_after, **kwargs)
    if 500 <= status <= 599:
        return ServerError(message, **kwargs)
    # Other statuses (405, 409, 413, an unexpected 3xx, ...) are not documented; whatever
    # they mean, the same request will get the same answer.
    return DrenfaxError(message, **kwargs)


def malformed_response(
    response: requests.Response, *, method: str, path: str, expected: str
) -> MalformedResponseError:
    """The error for a 2xx answer whose body is not `expected` (e.g. "a JSON object")."""
    detail = provider_error(response)[1]
    message = (
        f"Drenfax: {method} {path} answered {response.status_code} {_reason(response)} "
        f"without {expected}"
    )
    message = f"{message}: {detail}" if detail else f"{message} (empty body)"
    return MalformedResponseError(message, status_code=response.status_code, detail=detail)


# "InvalidInputError: No files and cover page in to send." (the provider's flat shape)
_NAMED_MESSAGE = re.compile(r"([A-Z][A-Za-z]*Error):\s*(.+)", re.DOTALL)


def provider_error(response: requests.Response) -> tuple[str | None, str | None]:
    """(error name, message) from an answer's body, one line each.

    The flat `{"error": "NotAllowedError: <message>"}` and the nested `{"error": {"name":
    ..., "message": ...}}` give the same pair; other bodies give (None, their text).
    """
    text = _body_text(response)
    if text is None:
        return None, None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply to read
        content_type = response.headers.get("Content-Type", "").lower()
        if "html" in content_type or text.lstrip().startswith("<"):
            text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
            text = re.sub(r"<[^>]*>", " ", text)
        return None, _one_line(text)
    name = _error_name(data)
    message = _message_from_json(data) or text
    named = _NAMED_MESSAGE.fullmatch(message.strip())
    if named and (name is None or name == named.group(1)):
        name, message = named.group(1), named.group(2)
    return name, _one_line(message)


def _body_text(response: requests.Response) -> str | None:
    # Without a declared charset the body is the API's UTF-8, not one for requests to guess;
    # an unknown charset falls back to UTF-8, and undecodable bytes are replaced.
    response.encoding = response.encoding or "utf-8"
    try:
        text = response.text
    except (requests.RequestException, OSError):
        # A broken stream while reading an error body: the status is all we have.
        return None
    return text if text.strip() else None


def _error_name(data: Any) -> str | None:
    """`name` of `{"error": {"name": ...}}` or `{"name": ...}`, if it looks like one."""
    if not isinstance(data, dict):
        return None
    inner = data.get("error")
    source = inner if isinstance(inner, dict) else data
    name = source.get("name")
    if isinstance(name, str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9_.]{0,80}", name.strip()):
        return name.strip()
    return None


def _message_from_json(data: Any, depth: int = 0) -> str | None:
    """The messages under `error`, `message`, `errors` and `detail`, at any depth."""
    if depth > 4:
        return None
    if isinstance(data, str):
        return data.strip() or None
    if isinstance(data, list):
        parts = [m for m in (_message_from_json(item, depth + 1) for item in data) if m]
        return "; ".join(parts) or None
    if not isinstance(data, dict):
        return None
    parts: list[str] = []
    for key in ("error", "message", "errors", "detail"):
        found = _message_from_json(data.get(key), depth + 1)
        # Often `message` repeats `error` without its prefix: keep the longer one.
        if found and not any(found in part for part in parts):
            parts = [part for part in parts if part not in found] + [found]
    if parts or depth == 0:
        return ": ".join(parts) or None
    # Inside `errors`: a {field: message} map, as many validation layers answer.
    fields = [
        f"{key}: {m}" for key, value in data.items() if (m := _message_from_json(value, depth + 1))
    ]
    return "; ".join(fields) or None


def _one_line(text: str) -> str | None:
    text = " ".join(text.split())
    if len(text) > _MAX_DETAIL:
        text = text[: _MAX_DETAIL - 1].rstrip() + "…"
    return text or None


def _reason(response: requests.Response) -> str:
    try:
        return response.reason or http.HTTPStatus(response.status_code).phrase
    except ValueError:
        return "(unknown status)"


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` of `"120"` or an HTTP-date (past: 0.0)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # "-0000" dates parse naive; HTTP dates are always GMT
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


# --- mapping transport failures ---------------------------------------------------------

# Connection refused and DNS failures happen before a single byte of the request is sent.
# Wrapping layers (adapters, mocks) sometimes keep only the message, hence the text check.
_NOT_SENT_WORDS = ("connection refused", "failed to establish a new connection", "name resolution")


def transport_error(exc: requests.RequestException, *, method: str, path: str) -> TransportError:
    """The `TransportError` for a `requests` exception: may the request have been sent?"""
    # urllib3 messages repeat the pool and URL; the innermost reason reads best.
    reason: Any = exc.args[0] if exc.args else exc
    if isinstance(reason, MaxRetryError) and reason.reason is not None:
        reason = reason.reason
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        what, sent = "could not connect in time", False
    elif isinstance(exc, requests.exceptions.ReadTimeout):
        what, sent = "got no answer in time", True
    elif isinstance(exc, requests.exceptions.SSLError):
        # A certificate is checked in the handshake, before the request is written. Other
        # TLS errors (a bad record, an alert) also come while the answer is read, when the
        # server may have the whole request.
        cause = reason.args[0] if getattr(reason, "args", None) else reason  # urllib3 wraps it
        certificate = isinstance(cause, ssl.SSLCertVerificationError)
        what, sent = "TLS failed", not (certificate or "certificate" in str(exc).lower())
    elif isinstance(exc, requests.exceptions.ProxyError):
        what, sent = "could not go through the proxy", False
    elif isinstance(exc, requests.exceptions.ConnectionError):
        # NewConnectionError covers refused connections and (its subclass) DNS failures;
        # connect timeouts, TLS and proxy failures were caught above. Otherwise (a reset,
        # ProtocolError "Connection aborted", a read timeout while streaming) the
        # connection existed, so the server may have the request.
        refused = isinstance(reason, NewConnectionError | ConnectionRefusedError | socket.gaierror)
        sent = not refused and not any(word in str(exc).lower() for word in _NOT_SENT_WORDS)
        what = "lost the connection" if sent else "could not connect"
    elif isinstance(
        exc,
        requests.exceptions.InvalidURL
        | requests.exceptions.MissingSchema
        | requests.exceptions.InvalidSchema
        | requests.exceptions.InvalidHeader,
    ):
        what, sent = "could not build the request", False
    else:
        # ChunkedEncodingError, ContentDecodingError, a generic Timeout...: the request went
        # out, the answer broke.
        what, sent = "got a broken answer", True
    message = f"Drenfax: {method} {path} {what}: {_one_line(str(reason)) or type(exc).__name__}"
    if sent and method != "GET":
        message += " (the request may have been processed)"
    return TransportError(message, request_sent=sent)
