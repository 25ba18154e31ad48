"""The Drenfax webhook receiver: `POST /webhooks/drenfax/`.

The provider authenticates with HTTP Basic only and retries every non-2xx answer for about
27 hours, so events arrive late, twice and out of order. Both of its body styles are read,
told apart by content, never by a header: JSON (the fax object, its event in `event`) and
legacy multipart (the fax JSON in `data`, an inbound PDF in `attachment`). Every
authenticated delivery is stored with its effect in one transaction; one that cannot be
applied is rolled back, stored as `failed` and answered 4xx (never 500) so the provider
retries; `manage.py reprocess_webhooks` replays it. The fax goes through the idempotent,
order-safe `fax_merge_fields`. No outbound call: a missing PDF is left to `faxes.pdf_fetch`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import io
import json
import logging
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.db import transaction
from django.http import HttpRequest, JsonResponse, QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from drenfax_portal.uuids import parse_uuid
from faxes.documents import delete_document, link_document, write_document
from faxes.models import (
    TERMINAL_STATUSES,
    Direction,
    Fax,
    FaxEvent,
    FaxStatus,
    PdfState,
    WebhookDelivery,
)
from faxes.payload import InvalidPayload, fax_fields
from faxes.services import fax_merge_fields
from faxes.tasks import pdf_wanted

log = logging.getLogger(__name__)

Outcome = WebhookDelivery.Outcome
BodyKind = WebhookDelivery.BodyKind

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
    if delivery.outcome == Outcome.FAILED:
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
    chunks, size = [], 0
    while size <= cap:
        chunk = stream.read(min(1 << 16, cap + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > cap:
        raise BodyTooLarge
    return b"".join(chunks)


@dataclass
class Body:
    """What a delivery carried, before any interpretation."""

    content_type: str
    kind: str  # BodyKind
    text: str  # the JSON text, or the start of an unparsable form
    event: str = ""
    attachment: bytes | memoryview | None = None
    error: str = ""  # why the body could not be read at all


def parse_body(raw: bytes, content_type: str, params: dict[str, str]) -> Body:
    """Split a request body into the JSON text and the optional attachment (a form that
    cannot be parsed gives a Body with `error` set)."""
    if content_type not in ("multipart/form-data", "application/x-www-form-urlencoded"):
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
            kept[name] = _clean_text(value)[:500]
    return kept


class Rejected(Exception):
    """A delivery that cannot be applied as it is; answered with `status` (400 or 422)."""

    def __init__(self, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def webhook_receive(*, body: Body, headers: dict[str, str]) -> WebhookDelivery:
    """Store a delivery and apply it; raises only if it cannot be stored (database down)."""
    attachment_path, attachment_size, remark = "", None, ""
    if body.attachment is not None:
        if bytes(body.attachment[:5]) == b"%PDF-":
            attachment_path, attachment_size = write_document([body.attachment])
        else:
            remark = "the attachment is not a PDF (no %PDF- header) and was not stored"
    delivery = WebhookDelivery(
        event=_clean_text(body.event)[:100],
        content_type=_clean_text(body.content_type)[:255],
        headers=headers,
        body_kind=body.kind,
        body=body.text,
        attachment_path=attachment_path,
        attachment_size=attachment_size,
        error=remark,
    )
    try:
        if body.error:
            _record(delivery, Outcome.FAILED, error=body.error, status=400)
        else:
            webhook_process(delivery)
    except BaseException:
        if attachment_path:
            delete_document(attachment_path)
        raise
    log.log(
        logging.WARNING if delivery.outcome == Outcome.FAILED else logging.INFO,
        "webhook delivery %s (%s) for %s: %s%s",
        delivery.pk,
        delivery.event or "no event",
        delivery.message_id or "no message id",
        delivery.outcome,
        f" ({delivery.error})" if delivery.error else "",
    )
    return delivery


def webhook_process(delivery: WebhookDelivery) -> None:
    """Apply a delivery and store its outcome in one transaction, for receipt and replay.
    A failure is stored as `failed` with its reason, its effect rolled back."""
    created_files: list[str] = []
    remark = delivery.error if delivery.outcome == Outcome.PENDING else ""
    try:
        fields = _read(delivery)  # before the transaction, which holds SQLite's write lock
        with transaction.atomic():
            outcome = _apply(delivery, fields, created_files)
            _record(delivery, outcome, error=remark, status=200)
    except Exception as exc:
        for relative in created_files:  # their database rows were rolled back
            delete_document(relative)
        delivery.fax = None
        if isinstance(exc, Rejected):
            error, status = str(exc), exc.status
        else:
            # A bug, or a value the database refused: kept for a replay after the fix, answered
            # 422, never 500. A database that is down raises below, and the view answers 503.
            log.exception("webhook delivery for %s could not be processed", delivery.message_id)
            error, status = f"could not be processed ({type(exc).__name__}: {exc})", 422
        with transaction.atomic():
            _record(delivery, Outcome.FAILED, error=error, status=status)


def _record(delivery: WebhookDelivery, outcome: str, *, error: str, status: int) -> None:
    delivery.outcome = outcome
    delivery.error = _clean_text(error)[:2000]
    delivery.response_status = status
    delivery.processed_at = timezone.now()
    delivery.attempts += 1
    delivery.save()


def _read(delivery: WebhookDelivery) -> dict[str, Any] | None:
    """The fax fields a delivery carries (None if not about a fax); notes its event and
    message id. Raises Rejected."""
    data = _load_json(delivery.body)
    event, fax_object = _unwrap(data)
    if event:
        delivery.event = event[:100]
    if isinstance(fax_object, dict):
        delivery.message_id = parse_uuid(fax_object.get("messageId"))
        if not delivery.event:
            delivery.event = _legacy_event(fax_object)
    if delivery.event.startswith("fax.v1.number."):
        # Number events carry a number, not a fax; the numbers sync picks the change up.
        return None
    if not isinstance(fax_object, dict):
        raise Rejected("the fax object must be a JSON object")
    try:
        return {**fax_fields(fax_object), **_new_fax_fields(fax_object, delivery)}
    except InvalidPayload as exc:
        raise Rejected(f"not a fax object: {exc}") from None


def _apply(
    delivery: WebhookDelivery,
    fields: dict[str, Any] | None,
    created_files: list[str],
) -> str:
    if fields is None:
        return Outcome.IGNORED
    report = fax_merge_fields([fields], source=FaxEvent.Source.WEBHOOK, record_stale=True)
    merged = report.outcomes[0]
    delivery.fax = merged.fax
    if merged.fax.direction == Direction.INBOUND and _inbound_document(
        merged.fax, delivery, created_files
    ):
        fax_pk = merged.fax.pk
        transaction.on_commit(lambda: pdf_wanted(fax_pk), robust=True)  # the 5-min sweep is the net
    if merged.stale:
        return Outcome.STALE
    return Outcome.APPLIED if merged.changed else Outcome.DUPLICATE


def _legacy_event(fax_object: dict[str, Any]) -> str:
    """A legacy webhook's event (its body does not name it), told from the fax."""
    if fax_object.get("direction") == Direction.INBOUND:
        return "fax.inbound"
    if fax_object.get("status") in TERMINAL_STATUSES:
        return "fax.outbound"
    return "fax.outbound.extended"


def _new_fax_fields(fax_object: dict[str, Any], delivery: WebhookDelivery) -> dict[str, Any]:
    """Portal-side values for a fax this delivery creates: a received fax without its PDF is
    born wanting it (the worker fetches it)."""
    received = fax_object.get("direction") == "inbound" and fax_object.get("status") == "success"
    if received and not delivery.attachment_path and fax_object.get("isFilePurged") is not True:
        return {"pdf_state": PdfState.WANTED}
    return {}


def _load_json(text: str) -> Any:
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise Rejected(f"malformed JSON: {exc}", status=400) from None
    return _clean(data)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _unwrap(data: Any) -> tuple[str, Any]:
    """(event name, fax object) from a flat fax object (its event in `event`) or an envelope
    {"event": ..., "data": ...}."""
    if not isinstance(data, dict):
        raise Rejected("the body must be a JSON object")
    event = data.get("event")
    event = event if isinstance(event, str) else ""
    if "messageId" in data or "data" not in data:
        return event, data
    inner = data["data"]
    if isinstance(inner, str):  # the fax object as a JSON string inside the envelope
        inner = _load_json(inner)
    return event, inner


def _inbound_document(fax: Fax, delivery: WebhookDelivery, created_files: list[str]) -> bool:
    """Give an inbound fax its PDF, the delivery's attachment; whether it must be fetched."""
    if fax.pdf_path:
        return False
    if delivery.attachment_path:
        relative = link_document(delivery.attachment_path)
        created_files.append(relative)
        stored = Fax.objects.filter(pk=fax.pk, pdf_path="").update(
            pdf_path=relative,
            pdf_fetched_at=timezone.now(),
            pdf_state=PdfState.DONE,
            pdf_error="",
            pdf_retry_at=None,
        )
        if not stored:
            delete_document(relative)
        return False
    if fax.pdf_state == PdfState.WANTED:  # born wanting it (_new_fax_fields)
        return True
    if fax.status == FaxStatus.SUCCESS and not fax.is_file_purged and not fax.pdf_state:
        return bool(
            Fax.objects.filter(pk=fax.pk, pdf_path="", pdf_state=PdfState.NONE).update(
                pdf_state=PdfState.WANTED, pdf_retry_at=None
            )
        )
    return False


def _clean(value: Any) -> Any:
    """Provider JSON made storable: no NUL or lone surrogates (PostgreSQL refuses both), no
    infinite numbers."""
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, dict):
        return {_clean_text(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _clean_text(text: str) -> str:
    if text.isascii():
        return text.replace("\x00", "")
    return text.replace("\x00", "").encode("utf-8", errors="replace").decode("utf-8")


def webhook_reprocess(delivery_id: int) -> WebhookDelivery:
    """Replay a delivery that failed or was never processed; any other, or an unparsable
    form (nothing to replay), is returned unchanged."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        replayable = delivery.outcome in (Outcome.FAILED, Outcome.PENDING)
        if replayable and delivery.body_kind != BodyKind.UNPARSED:
            webhook_process(delivery)
    return delivery
