"""Sign-in, password change and two-factor pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from drenfax_portal.accounts import two_factor
from drenfax_portal.accounts.middleware import IDLE_SIGNED_OUT, otp_exempt
from drenfax_portal.audit.services import audit_record
from drenfax_portal.http import HtmxHttpRequest, no_store, safe_next


class SignInView(auth_views.LoginView):
    """Django's login view; says so when the last session ended for inactivity."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["idle_signed_out"] = self.request.session.pop(IDLE_SIGNED_OUT, False)
        context["idle_minutes"] = f"{settings.IDLE_TIMEOUT_MINUTES:g}"
        return context


def locked_out(request: HtmxHttpRequest, response: Any = None, credentials: Any = None):
    """django-axes' answer to a locked-out sign-in (AXES_LOCKOUT_CALLABLE)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_record("auth.password_changed", target=self.request.user)
        return response


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


def _wrong_code(request: HtmxHttpRequest, form: TokenForm, step: str) -> None:
    _audit_wrong_code(request, step)
    wait = two_factor.wait_seconds(request.user)
    if wait:
        text = f"Too many wrong codes: wait {wait} seconds, then try again."
    else:
        text = "That code is not right. Check the time on your phone, or use a recovery code."
    form.add_error("token", text)


def _audit_wrong_code(request: HtmxHttpRequest, step: str) -> None:
    audit_record("auth.2fa_failed", target=request.user, success=False, details={"step": step})


@no_store
@require_http_methods(["GET"])
def two_factor_overview(request: HtmxHttpRequest) -> HttpResponse:
    """The user's two-factor status and what they can do about it."""
    context = {
        "enrolled": two_factor.is_enrolled(request.user),
        "codes_left": len(two_factor.recovery_codes(request.user)),
        "required": settings.REQUIRE_2FA,
        "form": TokenForm(),
    }
    return render(request, "accounts/two_factor.html", context)


def _code_first(request: HtmxHttpRequest, then: str) -> HttpResponse | None:
    """To the code page when the user has an authenticator this session has not checked:
    a session begun before it was set up (elsewhere) must not read or change its secrets."""
    if two_factor.is_enrolled(request.user) and not request.user.is_verified():
        return redirect(f"{reverse('two_factor_verify')}?next={reverse(then)}")
    return None


@otp_exempt
@no_store
@sensitive_post_parameters("token")
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HtmxHttpRequest) -> HttpResponse:
    """Scan the QR code (or type the key), then confirm with the app's first code."""
    if verify := _code_first(request, "two_factor"):
        return verify
    device = two_factor.totp_setup_start(user=request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.totp_setup_confirm(user=request.user, token=form.cleaned_data["token"])
        if codes is not None:
            device.refresh_from_db()
            otp_login(request, device)
            audit_record("auth.2fa_enabled", target=request.user)
            context = {"codes": codes, "fresh": True, "next": safe_next(request, "")}
            return render(request, "accounts/recovery_codes.html", context)
        _wrong_code(request, form, "setup")
    context = {
        "form": form,
        "qr_svg": two_factor.totp_qr_svg(device),
        "secret": two_factor.totp_secret(device),
        "issuer": settings.OTP_TOTP_ISSUER,
        "required": settings.REQUIRE_2FA,
        "next": safe_next(request, ""),
    }
    return render(request, "accounts/two_factor_setup.html", context)


@otp_exempt
@no_store
@sensitive_post_parameters("token")
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HtmxHttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app, or a recovery code."""
    if request.user.is_verified() or not two_factor.is_enrolled(request.user):
        return redirect(safe_next(request, reverse(settings.LOGIN_REDIRECT_URL)))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.token_check(user=request.user, token=form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            kind = "recovery code" if device.name == two_factor.RECOVERY else "authenticator"
            audit_record("auth.2fa_verified", target=request.user, details={"with": kind})
            if kind == "recovery code":
                left = len(two_factor.recovery_codes(request.user))
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. "
                    "Replace them on the Two-factor page if you are running low.",
                )
            return redirect(safe_next(request, reverse(settings.LOGIN_REDIRECT_URL)))
        _wrong_code(request, form, "sign-in")
    context = {"form": form, "next": safe_next(request, "")}
    return render(request, "accounts/two_factor_verify.html", context)


@no_store
@require_http_methods(["GET", "POST"])
def recovery_codes(request: HtmxHttpRequest) -> HttpResponse:
    """Show the unused recovery codes; POST replaces them with a new set."""
    if not two_factor.is_enrolled(request.user):
        return redirect("two_factor")
    if verify := _code_first(request, "two_factor_recovery"):
        return verify
    fresh = request.method == "POST"
    if fresh:
        codes = two_factor.recovery_codes_replace(user=request.user)
        audit_record("auth.recovery_codes_regenerated", target=request.user)
    else:
        codes = two_factor.recovery_codes(request.user)
        audit_record("auth.recovery_codes_viewed", target=request.user)
    context = {"codes": codes, "fresh": fresh, "next": ""}
    return render(request, "accounts/recovery_codes.html", context)


@sensitive_post_parameters("token")
@require_POST
def two_factor_disable(request: HtmxHttpRequest) -> HttpResponse:
    """Turn two-factor sign-in off, after a current code proves the user holds it."""
    if verify := _code_first(request, "two_factor"):
        return verify
    form = TokenForm(request.POST)
    device = None
    if form.is_valid():
        device = two_factor.token_check(user=request.user, token=form.cleaned_data["token"])
    if device is None:
        _audit_wrong_code(request, "turn off")
        messages.error(request, "Two-factor sign-in stays on: that code is not right.")
        return redirect("two_factor")
    two_factor.two_factor_disable(user=request.user)
    audit_record("auth.2fa_disabled", target=request.user)
    if settings.REQUIRE_2FA:
        messages.info(request, "Two-factor sign-in is required here: set up an authenticator.")
        return redirect("two_factor_setup")
    messages.success(request, "Two-factor sign-in is off.")
    return redirect("two_factor")
