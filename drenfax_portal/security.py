"""Safeguards for every request and log: extra headers, and secrets redacted from log
records (as each is created, so no handler sees them) and from 500 reports."""

from __future__ import annotations

import base64
import logging
import re
from functools import cache, lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

REDACTED = "[redacted]"

# The CSP of a PDF the portal shows in its own inline viewer (with X-Frame-Options
# SAMEORIGIN): the portal's pages may frame it, nothing else may. `object-src 'none'` stays:
# Chromium's built-in PDF viewer renders under it (checked in tests/security).
PDF_FRAME_POLICY = {"frame-ancestors": ["'self'"]}

# Credentials after an auth scheme (Authorization: Basic xxx, Bearer xxx), wherever they appear.
_AUTH_HEADER = re.compile(
    r"(?i)(\b(?:proxy-)?authorization\b['\"]?\s*[:=]\s*['\"]?(?:basic|bearer|token|digest)?\s*)"
    r"([^\s'\",}]+)"
)
# key=value and "key": "value" pairs whose key says it holds a secret.
_SECRET_PAIR = re.compile(
    r"(?i)(\b[\w-]*(?:password|passwd|secret|api[_-]?key|token)[\w-]*['\"]?\s*[:=]\s*['\"]?)"
    r"([^\s'\",&}]+)"
)
# user:password@ in URLs (database, SMTP, storage servers).
_URL_CREDENTIALS = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)([^@/\s]+)(@)")


def secret_values() -> tuple[str, ...]:
    """The secrets the portal knows, in the forms they may take on the wire."""
    values: set[str] = set()
    for name in ("DRENFAX_API_KEY", "DRENFAX_WEBHOOK_AUTH", "SECRET_KEY", "EMAIL_HOST_PASSWORD"):
        value = getattr(settings, name, "") or ""
        if not isinstance(value, str):
            continue
        values.add(value)
        # Basic credentials travel base64-encoded; the webhook password alone is a secret too.
        values.add(base64.b64encode(value.encode()).decode())
        if name == "DRENFAX_WEBHOOK_AUTH" and ":" in value:
            values.add(value.partition(":")[2])
    for database in getattr(settings, "DATABASES", {}).values():
        values.add(str(database.get("PASSWORD") or ""))
    # Short values would redact ordinary words; real secrets are long.
    return tuple(sorted((v for v in values if len(v) >= 6), key=len, reverse=True))


@lru_cache(maxsize=8)
def _values_pattern(values: tuple[str, ...]) -> re.Pattern[str] | None:
    if not values:
        return None
    return re.compile("|".join(re.escape(v) for v in values))


def redact(text: str) -> str:
    """The text with known secrets and credential-looking values replaced by [redacted]."""
    if not text:
        return text
    text = str(text)  # lazy strings (settings, translations) too
    pattern = _values_pattern(secret_values())
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + REDACTED, text)
    text = _SECRET_PAIR.sub(lambda m: m.group(1) + REDACTED, text)
    return _URL_CREDENTIALS.sub(lambda m: m.group(1) + REDACTED + m.group(3), text)


def _redact_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: let the handler report it as usual
        return record
    cleaned = redact(message)
    if cleaned != message or record.args:
        record.msg, record.args = cleaned, None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


@cache
def install_log_redaction() -> None:
    """Redact every log record as it is made (once, however often it is called)."""
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return _redact_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)


class SecretsExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, also hiding webhook/URL settings and POST secrets, and redacting
    every traceback variable (Django hides only those of `sensitive_variables` views), so
    an API key in a local `headers` dict never reaches a report."""

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|WEBHOOK|EMAIL_URL|DATABASE_URL|DSN",
        flags=re.IGNORECASE,
    )
    hidden_post_parameters = ("password", "otp_token", "token", "secret", "api_key", "key")

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        params = super().get_post_parameters(request)
        if request is None or not params:
            return params
        params = params.copy()
        for name in params:
            if any(part in name.lower() for part in self.hidden_post_parameters):
                params[name] = self.cleansed_substitute
        return params

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [
            (name, self.cleansed_substitute)
            if self.hidden_settings.search(name) and name not in {"self", "request"}
            else (name, _RedactedRepr(value))
            for name, value in variables
        ]

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        value = super().cleanse_setting(key, value)
        if type(value) is str:  # not lazy objects, which pretend to be str
            return redact(value)
        return value


class RedactingExceptionReporter(ExceptionReporter):
    """A 500 report (the DEBUG page, the admins' email) passed through `redact()` as a whole:
    exception messages, chained causes and the request's URL may carry a secret too."""

    def get_traceback_html(self) -> str:
        return redact(super().get_traceback_html())

    def get_traceback_text(self) -> str:
        return redact(super().get_traceback_text())


class _RedactedRepr:
    """A traceback value whose repr passes through `redact()` (the report shows reprs)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        try:
            text = repr(self.value)
        except Exception as exc:  # as Django's reporter does for a failing repr
            text = f"Error in formatting: {exc.__class__.__name__}: {exc}"
        return redact(text)


class SecurityHeadersMiddleware(MiddlewareMixin):
    """Headers Django's SecurityMiddleware does not set: Permissions-Policy and CORP."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
