"""Storing and applying the provider's webhook deliveries (the view: `faxes.views.webhooks`).

The provider authenticates with HTTP Basic only and retries every non-2xx answer for about
27 hours, so events arrive late, twice and out of order. Both of its body styles are read,
told apart by their content type (a JSON object sent as a urlencoded form is JSON): JSON
(the fax object, its event in `event`) and legacy multipart (the fax JSON in `data`, an
inbound PDF in `attachment`). Every
delivery is stored with its effect in one transaction; one that cannot be
applied is rolled back, stored as `failed` and answered 4xx (never 500) so the provider
retries; `manage.py reprocess_webhooks` replays it. The fax goes through the idempotent,
order-safe `fax_merge_fields`. No outbound call: a missing PDF is left to a task
(`faxes.tasks.pdf_wanted`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from drenfax_portal.uuids import parse_uuid
from faxes.models import (
    TERMINAL_STATUSES,
    Direction,
    Fax,
    FaxEvent,
    FaxStatus,
    PdfState,
    WebhookDelivery,
)
from faxes.payload import InvalidPayload, fax_fields, storable
from faxes.services.cache import fax_merge_fields
from faxes.services.documents import delete_document, link_document, write_document
from faxes.tasks import pdf_wanted

log = logging.getLogger(__name__)

Outcome = WebhookDelivery.Outcome
BodyKind = WebhookDelivery.BodyKind


@dataclass
class Body:
    """What a delivery carried, before any interpretation."""

    content_type: str
    kind: str  # BodyKind
    text: str  # the JSON text, or the start of an unparsable form
    event: str = ""
    attachment: bytes | memoryview | None = None
    error: str = ""  # why the body could not be read at all


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
        event=storable(body.event)[:100],
        content_type=storable(body.content_type)[:255],
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
    level = logging.WARNING if delivery.outcome == Outcome.FAILED else logging.INFO
    log.log(level, "%s (fax %s) %s", delivery, delivery.message_id or "unknown", delivery.error)
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
    delivery.error = storable(error)[:2000]
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
    return storable(data)


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


def webhook_reprocess(delivery_id: int) -> WebhookDelivery:
    """Replay a delivery that failed or was never processed; any other, or an unparsable
    form (nothing to replay), is returned unchanged."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        replayable = delivery.outcome in (Outcome.FAILED, Outcome.PENDING)
        if replayable and delivery.body_kind != BodyKind.UNPARSED:
            webhook_process(delivery)
    return delivery
