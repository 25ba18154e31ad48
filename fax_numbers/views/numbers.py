"""The numbers list and a number's page (staff: with its settings and actions)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from drenfax_portal.accounts.models import Profile
from drenfax_portal.api import describe_error, get_client
from drenfax_portal.client import DrenfaxError
from drenfax_portal.http import HtmxHttpRequest, safe_next, staff_or_404
from drenfax_portal.uuids import parse_uuid
from fax_numbers.forms import ManagerForm, NumberFilterForm, PersonForm, StorageForm
from fax_numbers.models import FaxNumber, StorageCredential
from fax_numbers.selectors import filter_numbers, get_number_for_user
from fax_numbers.services import numbers_sync


@require_GET
def number_list(request: HtmxHttpRequest) -> HttpResponse:
    form = NumberFilterForm(request.GET)
    filters = form.filters
    state = filters.get("state", "") if request.user.is_staff else ""
    numbers = filter_numbers(request.user, q=filters.get("q", ""), state=state)
    context = {"form": form, "numbers": numbers, "filtered": bool(filters)}
    template = "numbers/list.html"
    if request.htmx and request.htmx.target == "results":
        template += "#results"
    return render(request, template, context)


@staff_or_404
@require_POST
def number_refresh(request: HtmxHttpRequest) -> HttpResponse:
    """Read the account's numbers from Drenfax now (one cheap call per 100 numbers)."""
    try:
        with get_client() as client:
            count = numbers_sync(client=client)
    except DrenfaxError as exc:
        messages.error(request, f"The list was not refreshed. {describe_error(exc)}")
    else:
        messages.success(request, f"Refreshed from Drenfax: {count} number{'s' * (count != 1)}.")
    return redirect(safe_next(request, reverse("numbers:list")))


@require_GET
def number_detail(request: HtmxHttpRequest, number_id) -> HttpResponse:
    number = get_number_for_user(request.user, number_id)
    return render(request, "numbers/detail.html", detail_context(request, number))


def assignable_users(number: FaxNumber):
    """Active portal users who do not have this number yet."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(pk__in=number.assigned_users.values("pk"))
        .order_by("first_name", "last_name", "username")
    )


def has_password(number: FaxNumber) -> bool:
    return StorageCredential.objects.filter(number=number).exists()


def detail_context(request: HtmxHttpRequest, number: FaxNumber, **forms: Any) -> dict[str, Any]:
    """What the number's page and its sections show; `forms` replaces a section's form
    (a bound one with errors)."""
    context: dict[str, Any] = {
        "number": number,
        # Whoever may see the number sees all of its faxes (`faxes.selectors.visible_faxes`).
        "fax_count": number.faxes.filter(deleted_at__isnull=True).count(),
    }
    if not request.user.is_staff:
        return context
    people = list(number.assigned_users.order_by("first_name", "last_name", "username"))
    profiles = {p.user_id: p for p in Profile.objects.filter(user__in=people)}
    api_users = [u for u in number.raw.get("users") or [] if isinstance(u, dict)]
    api_ids = [i for i in (parse_uuid(u.get("userId")) for u in api_users) if i is not None]
    linked = {
        str(p.drenfax_user_id): p.user
        for p in Profile.objects.filter(drenfax_user_id__in=api_ids).select_related("user")
    }
    stored_password = has_password(number)
    context.update(
        people=[(user, profiles.get(user.pk)) for user in people],
        api_users=[(u, linked.get(str(u.get("userId", "")).lower())) for u in api_users],
        has_password=stored_password,
        assign_form=PersonForm(users=assignable_users(number)),
        storage_form=StorageForm(
            initial=StorageForm.initial_for(number), has_password=stored_password
        ),
        manager_form=ManagerForm(initial={"managed_by": number.managed_by}),
    )
    context.update(forms)
    return context
