"""The webhook rows of the health panel, and the replay of a failed delivery.

The webhook receiver (`faxes.WebhookDelivery`, `faxes.webhooks.webhook_reprocess`) is a
separate piece of the portal; everything here looks it up at run time and says "Webhook
receiver not installed" when it is absent, so the home page works with or without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db.models import Model

NOT_INSTALLED = "Webhook receiver not installed"
FAILED_OUTCOME = "failed"


@dataclass
class WebhookHealth:
    installed: bool
    last_received_at: datetime | None = None
    failed_count: int = 0
    failed: list[Any] = field(default_factory=list)  # the newest failed deliveries


def delivery_model() -> type[Model] | None:
    try:
        return apps.get_model("faxes", "WebhookDelivery")
    except LookupError:
        return None


def webhook_health(*, limit: int = 5) -> WebhookHealth:
    """When the last delivery arrived, and the deliveries that failed processing."""
    model = delivery_model()
    if model is None:
        return WebhookHealth(installed=False)
    deliveries = model._default_manager
    failed = deliveries.filter(outcome=FAILED_OUTCOME)
    newest_failed = list(failed.order_by("-received_at", "-id")[: limit + 1])
    return WebhookHealth(
        installed=True,
        last_received_at=deliveries.order_by("-received_at")
        .values_list("received_at", flat=True)
        .first(),
        failed_count=len(newest_failed) if len(newest_failed) <= limit else failed.count(),
        failed=newest_failed[:limit],
    )


def webhook_replayer() -> Callable[[int], Any] | None:
    """The receiver's replay of one stored delivery, or None when it is not installed."""
    if delivery_model() is None:
        return None
    try:
        from faxes.webhooks import webhook_reprocess  # type: ignore[import-not-found]
    except ImportError:
        return None
    return webhook_reprocess
