"""System checks of the faxes app (run by `manage.py check` and at every start)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


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


@register(Tags.security)
def check_safe_xml(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Blast lists are parsed by openpyxl, which is safe from XML bombs only with defusedxml."""
    import openpyxl

    if openpyxl.DEFUSEDXML:
        return []
    return [
        Error(
            "openpyxl does not see defusedxml, so a blast recipient list with an XML entity "
            "bomb would be expanded; the blast page refuses every list until it does.",
            hint="Install the project's dependencies (defusedxml is one of them).",
            id="faxes.E001",
        )
    ]
