"""Sign-in events come from Django's auth signals and django-axes: they are the only place
that sees every sign-in, sign-out and failure (the login view, the admin's, a lockout)."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest
from django_otp import user_has_device

from drenfax_portal.audit.services import audit_record

# Set on the request before `logout()` to say why the session ends ("timeout").
LOGOUT_REASON = "_audit_logout_reason"


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    second = "pending" if user_has_device(user, confirmed=True) else "not enrolled"
    audit_record("auth.login", request=request, user=user, details={"second_factor": second})


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return  # nobody was signed in
    reason = getattr(request, LOGOUT_REASON, "")
    action = "auth.timeout" if reason == "timeout" else "auth.logout"
    audit_record(action, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if getattr(request, "axes_locked_out", False):
        return  # django-axes refused or locked it: "auth.locked_out" records this attempt
    audit_record(
        "auth.login_failed",
        request=request,
        username=str(credentials.get("username", ""))[:150],
        success=False,
        details={"reason": "wrong username or password"},
    )


@receiver(user_locked_out, dispatch_uid="audit_locked_out")
def _locked_out(sender: Any, request: HttpRequest, username: str | None, **kwargs: Any) -> None:
    """The attempt that reached the limit, and each one refused while locked out."""
    audit_record(
        "auth.locked_out",
        request=request,
        username=str(username or "")[:150],
        success=False,
        details={"failure_limit": settings.AXES_FAILURE_LIMIT},
    )
