"""The webhook rows of the health panel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from faxes.models import WebhookDelivery


@dataclass
class WebhookHealth:
    last_received_at: datetime | None = None
    failed_count: int = 0
    failed: list[WebhookDelivery] = field(default_factory=list)  # the newest failed ones


def webhook_health(*, limit: int = 5) -> WebhookHealth:
    """When the last delivery arrived, and the deliveries that failed processing."""
    failed = WebhookDelivery.objects.filter(outcome=WebhookDelivery.Outcome.FAILED)
    newest_failed = list(failed.order_by("-received_at", "-id")[: limit + 1])
    return WebhookHealth(
        last_received_at=WebhookDelivery.objects.order_by("-received_at")
        .values_list("received_at", flat=True)
        .first(),
        failed_count=len(newest_failed) if len(newest_failed) <= limit else failed.count(),
        failed=newest_failed[:limit],
    )
