"""The home page: one view and one template; htmx polls refresh its live panels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from drenfax_portal.dashboard import selectors
from drenfax_portal.dashboard.chart import daily_bar_chart
from drenfax_portal.http import HtmxHttpRequest, staff_or_404
from faxes.services.reads import faxes_mark_all_read
from faxes.services.submissions import new_submission_key
from faxes.services.webhooks import webhook_reprocess

TEMPLATE = "dashboard/home.html"


def _inbox(user: AbstractBaseUser, now: datetime) -> dict[str, Any]:
    return {"inbox": selectors.inbox(user, now=now)}


def _team(user: AbstractBaseUser, now: datetime) -> dict[str, Any]:
    return {"team": selectors.team_queue(user, now=now, tz=timezone.get_current_timezone())}


def _activity(user: AbstractBaseUser, now: datetime) -> dict[str, Any]:
    activity = selectors.activity(user, now=now, tz=timezone.get_current_timezone())
    return {"activity": activity, "chart": daily_bar_chart(activity.days)}


def _health(user: AbstractBaseUser, now: datetime) -> dict[str, Any]:
    return {"health": selectors.link_health(now=now) if user.is_staff else None}


# The panels that refresh themselves, by the id of their element (the htmx target).
LIVE_PANELS = {"inbox": _inbox, "team": _team, "activity": _activity, "health": _health}


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    """What needs attention now; a panel's own poll gets just that panel."""
    now = timezone.now()
    target = request.htmx.target if request.htmx else None
    if target in LIVE_PANELS:
        return render(request, f"{TEMPLATE}#{target}", LIVE_PANELS[target](request.user, now))
    context: dict[str, Any] = {}
    for build in LIVE_PANELS.values():
        context.update(build(request.user, now))
    failures = selectors.recent_failures(request.user, now=now, tz=timezone.get_current_timezone())
    context["failures"] = failures
    # Each resend button is its own one-time form, so a double click sends once.
    context["failed_rows"] = [(fax, new_submission_key()) for fax in failures.faxes]
    context["numbers"] = selectors.numbers_overview(
        request.user, unread_by_number=context["inbox"].by_number
    )
    return render(request, TEMPLATE, context)


@require_POST
def mark_all_read(request: HtmxHttpRequest) -> HttpResponse:
    count = faxes_mark_all_read(user=request.user)
    if request.htmx:
        return render(request, f"{TEMPLATE}#inbox", _inbox(request.user, timezone.now()))
    messages.success(request, f"{count} fax{'es' if count != 1 else ''} marked as read.")
    return redirect("home")


@staff_or_404
@require_POST
def webhook_replay(request: HtmxHttpRequest, delivery_id: int) -> HttpResponse:
    """Staff: run a stored webhook delivery that failed through the receiver again."""
    try:
        delivery = webhook_reprocess(delivery_id)
    except ObjectDoesNotExist:
        raise Http404("No such webhook delivery") from None
    outcome = delivery.get_outcome_display()
    if delivery.outcome == "failed":
        messages.error(request, f"Delivery {delivery_id} failed again: {delivery.error}")
    else:
        messages.success(request, f"Delivery {delivery_id} replayed: {outcome}.")
    return redirect("home")


@login_not_required
@require_GET
def healthz(request: HtmxHttpRequest) -> JsonResponse:
    """For load balancers and monitoring: 200 when the database and the task store answer,
    503 otherwise; also says how long ago the last sync succeeded."""
    report = selectors.service_health(now=timezone.now())
    return JsonResponse(report, status=200 if report["ok"] else 503)
