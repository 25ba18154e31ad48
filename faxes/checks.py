"""System checks of the faxes app (run by `manage.py check` and at every start)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security)
def check_webhook_credentials(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Warn when the webhook endpoint cannot authenticate the provider."""
    auth = settings.DRENFAX_WEBHOOK_AUTH or ""
    if not auth:
        if settings.DEBUG or settings.DRENFAX_SANDBOX:
            return []
        return [
            Warning(
                "DRENFAX_WEBHOOK_AUTH is not set: the webhook endpoint /webhooks/drenfax/ "
                "answers 503 to every delivery, so the provider's status updates and inbound "
                "faxes are refused and the cache only learns of them from the sync.",
                hint=(
                    "Set DRENFAX_WEBHOOK_AUTH (or DRENFAX_WEBHOOK_AUTH_FILE) to user:password "
                    "and register the same credentials with the provider's webhook."
                ),
                id="faxes.W001",
            )
        ]
    if ":" not in auth:
        return [
            Warning(
                "DRENFAX_WEBHOOK_AUTH has no colon: it must be user:password. The webhook "
                "endpoint answers 503 until it is fixed.",
                id="faxes.W002",
            )
        ]
    return []
