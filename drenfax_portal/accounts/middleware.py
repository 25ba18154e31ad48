from __future__ import annotations

import time
import zoneinfo
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.middleware import (
    LoginRequiredMiddleware as DjangoLoginRequiredMiddleware,
)
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.deprecation import MiddlewareMixin
from django.utils.http import urlencode
from django_htmx.http import HttpResponseClientRedirect

from drenfax_portal.accounts import two_factor
from drenfax_portal.accounts.models import Profile
from drenfax_portal.audit.receivers import LOGOUT_REASON
from drenfax_portal.http import redirect_to

# When the user last did something (seconds since the epoch), in their session.
LAST_ACTIVITY = "_last_activity"
# Set in the session that replaces an idle one, so the login page can say why.
IDLE_SIGNED_OUT = "_idle_signed_out"
# Sent (as "1") by requests that htmx repeats on its own ("every 3s"; static/js/portal.js):
# they are not user activity.
POLL_HEADER = "X-Portal-Poll"


def page_path(request: HttpRequest) -> str:
    """Where the user is: for htmx, the page they have open (HX-Current-URL) rather than
    the fragment's URL, and for a form post the page it came from (Referer), so signing in
    again brings them back to that page."""
    htmx = getattr(request, "htmx", None)
    current = htmx.current_url if htmx else None
    if not current and request.method not in ("GET", "HEAD"):
        # A form posted after the session ended: back to the page it was on (a GET of the
        # form's own URL would answer 405).
        current = request.headers.get("Referer", "")
    if current:
        parts = urlsplit(current)
        if parts.netloc in ("", request.get_host()) and parts.path.startswith("/"):
            return parts.path + (f"?{parts.query}" if parts.query else "")
        return resolve_url(settings.LOGIN_REDIRECT_URL)
    if request.method not in ("GET", "HEAD"):
        return resolve_url(settings.LOGIN_REDIRECT_URL)
    return request.get_full_path()


ACTIVITY_RESOLUTION = 60  # seconds


class IdleTimeoutMiddleware(MiddlewareMixin):
    """Sign out a session idle for IDLE_TIMEOUT_MINUTES (audited as "auth.timeout"); the
    request goes on anonymous. htmx polling is not activity, so an open tab times out."""

    def process_request(self, request: HttpRequest) -> None:
        if request.user.is_authenticated:
            last = request.session.get(LAST_ACTIVITY)
            if last is not None and time.time() - last > settings.IDLE_TIMEOUT_MINUTES * 60:
                setattr(request, LOGOUT_REASON, "timeout")
                logout(request)
                request.session[IDLE_SIGNED_OUT] = True

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        # After the view, so a sign-in starts the clock; at most once a minute, to spare a
        # session write per request.
        if request.user.is_authenticated and request.headers.get(POLL_HEADER) != "1":
            now = time.time()
            last = request.session.get(LAST_ACTIVITY)
            if last is None or now - last >= ACTIVITY_RESOLUTION:
                request.session[LAST_ACTIVITY] = int(now)
        return response


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Django's middleware, answering htmx requests with HX-Redirect to the login page, and
    sending a user back to the page they were on (not to a form's POST-only URL)."""

    def handle_no_permission(self, request: HttpRequest, view_func: Any) -> HttpResponse:
        login = redirect_to_login(
            page_path(request),
            resolve_url(self.get_login_url(view_func)),
            self.get_redirect_field_name(view_func),
        )
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(login["Location"])
        return login


def otp_exempt(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view a signed-in user may reach before their second factor."""
    view.otp_exempt = True  # type: ignore[attr-defined]
    return view


# Set in a session whose user had no authenticator when it began; a device set up later
# asks for its code from the next sign-in on.
NO_DEVICE_AT_SIGN_IN = "_2fa_no_device"


class TwoFactorMiddleware(MiddlewareMixin):
    """Hold every page until the second factor is checked (after OTPMiddleware).

    A user with an authenticator passes the check after each sign-in; with REQUIRE_2FA, a
    user without one sets it up first. Views marked `otp_exempt` pass.
    """

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or getattr(view_func, "otp_exempt", False):
            return None
        if user.is_verified():  # type: ignore[union-attr]
            return None
        if request.session.get(NO_DEVICE_AT_SIGN_IN) and not settings.REQUIRE_2FA:
            return None  # looked up once for this session: no second factor to check
        # An authenticator, not just recovery codes: staff deleting a lost phone's
        # authenticator leave the codes, and the code page would send the user back here.
        if two_factor.is_enrolled(user):
            target = "two_factor_verify"
        elif settings.REQUIRE_2FA:
            target = "two_factor_setup"
        else:
            request.session[NO_DEVICE_AT_SIGN_IN] = True
            return None
        url = f"{resolve_url(target)}?{urlencode({REDIRECT_FIELD_NAME: page_path(request)})}"
        # For htmx, HX-Redirect: a 302 would swap the code page into a fragment.
        return redirect_to(request, url)


TZ_KEY = "_portal_tz"
TZ_REFRESH = 300  # seconds


class UserTimezoneMiddleware(MiddlewareMixin):
    """Show times in the signed-in user's own time zone (their profile), else the server's."""

    def process_request(self, request: HttpRequest) -> None:
        try:
            timezone.activate(zoneinfo.ZoneInfo(self._tzname(request)))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # none, or no longer known
            timezone.deactivate()

    @staticmethod
    def _tzname(request: HttpRequest) -> str:
        """The user's zone, read from their profile at most every TZ_REFRESH seconds."""
        if not request.user.is_authenticated:
            return ""
        cached = request.session.get(TZ_KEY)
        now = time.time()
        if cached and now - cached[1] < TZ_REFRESH:
            return cached[0]
        tzname = (
            Profile.objects.filter(user=request.user).values_list("timezone", flat=True).first()
            or ""
        )
        request.session[TZ_KEY] = (tzname, now)
        return tzname
