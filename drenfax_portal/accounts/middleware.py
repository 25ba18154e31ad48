from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from drenfax_portal.accounts.models import Profile


class UserTimezoneMiddleware:
    """Show times in the signed-in user's own time zone (their profile), else the server's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tzname = None
        if request.user.is_authenticated:
            tzname = (
                Profile.objects.filter(user=request.user).values_list("timezone", flat=True).first()
            )
        if tzname:
            try:
                timezone.activate(zoneinfo.ZoneInfo(tzname))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)
