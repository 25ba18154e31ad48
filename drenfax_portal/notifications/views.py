"""Each user's notification preferences; staff also set the team defaults there."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from drenfax_portal.http import HtmxHttpRequest, staff_or_404
from drenfax_portal.notifications.forms import PreferencesForm
from drenfax_portal.notifications.preferences import (
    defaults_save,
    preferences_for,
    preferences_reset,
    preferences_save,
    team_preferences,
)


def _defaults_form(data=None) -> PreferencesForm:
    return PreferencesForm(data, initial=team_preferences().as_initial(), prefix="defaults")


def _page(request: HtmxHttpRequest, form=None, defaults_form=None, status=200) -> HttpResponse:
    current = preferences_for(request.user)
    context = {
        "form": form or PreferencesForm(initial=current.as_initial()),
        "current": current,
        "defaults_form": defaults_form,
    }
    return render(request, "notifications/preferences.html", context, status=status)


@require_http_methods(["GET", "POST"])
def preferences(request: HtmxHttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, initial=preferences_for(request.user).as_initial())
    if request.method == "POST" and form.is_valid():
        preferences_save(user=request.user, **form.choices)
        messages.success(request, "Your notification preferences are saved.")
        return redirect("notifications:preferences")
    return _page(request, form, _defaults_form() if request.user.is_staff else None)


@require_POST
def reset_to_defaults(request: HtmxHttpRequest) -> HttpResponse:
    preferences_reset(user=request.user)
    messages.success(request, "You now follow the team defaults.")
    return redirect("notifications:preferences")


@staff_or_404
@require_POST
def team_defaults_update(request: HtmxHttpRequest) -> HttpResponse:
    """Staff: the defaults for everyone who has not chosen their own."""
    form = _defaults_form(request.POST)
    if not form.is_valid():
        return _page(request, defaults_form=form, status=400)
    defaults_save(by=request.user, **form.choices)
    messages.success(request, "The team defaults are saved.")
    return redirect("notifications:preferences")
