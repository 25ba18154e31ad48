from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, object]:
    """Values every page's layout needs."""
    return {"SANDBOX_MODE": settings.DRENFAX_SANDBOX}
