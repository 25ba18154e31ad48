"""`POST /webhooks/drenfax/`: authenticates the provider (HTTP Basic, in constant time),
reads the body within its size cap, and hands it to `faxes.services.webhooks`. A caller
without the credentials gets 401 and nothing is stored; a body over the cap, 413."""

from __future__ import annotations

import base64
import binascii
import hmac
import io
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http import HttpRequest, JsonResponse, QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from faxes.models import WebhookDelivery
from faxes.payload import storable
from faxes.services.webhooks import Body, BodyKind, webhook_receive

log = logging.getLogger(__name__)


REALM = "drenfax-webhooks"
# How much of an unparsable form is kept on the delivery, for diagnosis.
UNPARSED_EXCERPT = 64 * 1024
# Request headers worth keeping with a delivery. Authorization and Cookie never are.
_KEPT_HEADERS = {
    "CONTENT_TYPE": "Content-Type",
    "CONTENT_LENGTH": "Content-Length",
    "HTTP_USER_AGENT": "User-Agent",
    "HTTP_X_FORWARDED_FOR": "X-Forwarded-For",
    "HTTP_X_REAL_IP": "X-Real-IP",
    "HTTP_X_REQUEST_ID": "X-Request-ID",
    "REMOTE_ADDR": "Remote-Addr",
}
_KEPT_PREFIXES = ("HTTP_X_DRENFAX_", "HTTP_X_DOCUMO_", "HTTP_X_WEBHOOK_")


@csrf_exempt
@login_not_required
@require_POST
def drenfax_webhook(request: HttpRequest) -> JsonResponse:
    """Receive one webhook delivery from the provider."""
    expected = settings.DRENFAX_WEBHOOK_AUTH or ""
    if not expected:
        if not settings.DEBUG:
            return _error("webhook credentials are not configured", status=503)
        log.warning("DRENFAX_WEBHOOK_AUTH is empty: accepting an unauthenticated webhook (DEBUG)")
    elif ":" not in expected:  # the system check warns about it
        return _error("webhook credentials are misconfigured", status=503)
    elif not basic_auth_matches(request.META.get("HTTP_AUTHORIZATION", ""), expected):
        response = _error("authentication required", status=401)
        response["WWW-Authenticate"] = f'Basic realm="{REALM}"'
        return response

    if request.content_type == "multipart/form-data":
        cap = settings.DRENFAX_WEBHOOK_MAX_MULTIPART_BYTES
    else:
        cap = settings.DRENFAX_WEBHOOK_MAX_JSON_BYTES
    try:
        raw = read_capped(request, cap)
    except BodyTooLarge:
        return _error(f"the body is larger than {cap} bytes", status=413)
    except UnreadablePostError:
        return _error("the body could not be read", status=400)

    body = parse_body(raw, request.content_type or "", request.content_params or {})
    try:
        delivery = webhook_receive(body=body, headers=delivery_headers(request.META))
    except Exception:  # the database is down or similar: the provider will retry
        log.exception("could not store a webhook delivery")
        return _error("the delivery could not be stored; try again later", status=503)

    answer: dict[str, Any] = {"delivery": delivery.pk, "outcome": delivery.outcome}
    if delivery.outcome == WebhookDelivery.Outcome.FAILED:
        answer["error"] = delivery.error
    return JsonResponse(answer, status=delivery.response_status or 200)


def _error(message: str, *, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def basic_auth_matches(header: str, expected: str) -> bool:
    """Whether an Authorization header carries exactly the Basic credentials `expected`
    ("user:password"). Both parts are always compared, in constant time."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        return False
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    user, sep, password = decoded.partition(":")
    if not sep:
        return False
    expected_user, _, expected_password = expected.partition(":")
    user_ok = hmac.compare_digest(user.encode(), expected_user.encode())
    password_ok = hmac.compare_digest(password.encode(), expected_password.encode())
    return user_ok & password_ok


class BodyTooLarge(Exception):
    pass


def read_capped(request: HttpRequest, cap: int) -> bytes:
    """The body, read from the stream (Django's own limits would turn a large form into a
    400), never more than `cap` + 1 bytes whatever Content-Length says."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > cap:
        raise BodyTooLarge
    stream: Any = request
    if not declared and request.META.get("wsgi.input_terminated"):
        # Chunked, under a server that ends the input (gunicorn, mod_wsgi): Django would read
        # nothing without a Content-Length.
        stream = request.META["wsgi.input"]
    body = stream.read(cap + 1)  # file-like: short only at the end of the input
    if len(body) > cap:
        raise BodyTooLarge
    return body


FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def parse_body(raw: bytes, content_type: str, params: dict[str, str]) -> Body:
    """Split a request body into the JSON text and the optional attachment (a form that
    cannot be parsed gives a Body with `error` set)."""
    # A JSON object posted with curl's or PHP's default form type is still JSON: a form's
    # first field name never starts with "{".
    looks_json = raw.lstrip()[:1] == b"{" and content_type != "multipart/form-data"
    if looks_json or content_type not in FORM_TYPES:
        return Body(content_type=content_type, kind=BodyKind.JSON, text=_text(raw))
    try:
        fields, files = parse_form(raw, content_type, params)
    except (MultiPartParserError, SuspiciousOperation) as exc:  # bad form, too many fields
        return Body(
            content_type=content_type,
            kind=BodyKind.UNPARSED,
            text=_text(raw[:UNPARSED_EXCERPT]),
            error=f"the form could not be parsed: {exc}",
        )
    data = fields.get("data")
    if data is None and "data" in files:  # the JSON sent as a file part
        data = _text(files.pop("data"))
    if data is None:
        return Body(
            content_type=content_type,
            kind=BodyKind.UNPARSED,
            text=_text(raw[:UNPARSED_EXCERPT]) if not files else "",
            error="the form has no data field",
        )
    attachment = files.get("attachment")
    if attachment is None and files:
        attachment = next(iter(files.values()))
    return Body(
        content_type=content_type,
        kind=BodyKind.FORM,
        text=data,
        event=fields.get("event", ""),
        attachment=attachment or None,
    )


def _text(raw: bytes) -> str:
    # Invalid UTF-8 is replaced, not refused (one odd byte must not lose the fax); PostgreSQL
    # text cannot hold NUL.
    return raw.decode("utf-8-sig", errors="replace").replace("\x00", "\ufffd")


class _InMemory(MemoryFileUploadHandler):
    """Keeps every file part in memory: the body is in memory already, under its cap."""

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        self.activated = True


def parse_form(
    raw: bytes, content_type: str, params: dict[str, str]
) -> tuple[dict[str, str], dict[str, bytes]]:
    """(fields, files) of a form body, by Django's parsers (and DATA_UPLOAD_* limits); the
    first value of each name wins."""
    files: dict[str, bytes] = {}
    if content_type == "application/x-www-form-urlencoded":
        fields = QueryDict(raw, encoding="utf-8")
    else:
        header = content_type + "".join(f'; {k}="{v}"' for k, v in params.items())
        meta = {"CONTENT_TYPE": header, "CONTENT_LENGTH": str(len(raw))}
        fields, parts = MultiPartParser(meta, io.BytesIO(raw), [_InMemory()], "utf-8").parse()
        files = {k: v[0].read() for k, v in parts.lists()}
    return {k: v[0].replace("\x00", "\ufffd") for k, v in fields.lists()}, files


def delivery_headers(meta: dict[str, Any]) -> dict[str, str]:
    """The request headers kept with a delivery (never the credentials)."""
    kept = {}
    for key, value in meta.items():
        if key in _KEPT_HEADERS:
            name = _KEPT_HEADERS[key]
        elif key.startswith(_KEPT_PREFIXES):
            name = "-".join(part.capitalize() for part in key[5:].split("_"))
        else:
            continue
        if isinstance(value, str) and value:
            kept[name] = storable(value)[:500]
    return kept
