"""The numbers list, and a number's page with its staff actions (people, storage settings,
manager account, release). Each action answers htmx with the section it changed (with a
notice), and a plain post with a redirect and a message, so all work without JavaScript."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from drenfax_portal.accounts.models import Profile
from drenfax_portal.api import describe_error, get_client, not_done
from drenfax_portal.audit.services import audited
from drenfax_portal.client import DrenfaxError
from drenfax_portal.http import HtmxHttpRequest, safe_next, staff_or_404
from drenfax_portal.uuids import parse_uuid
from fax_numbers import actions
from fax_numbers.forms import (
    ManagerForm,
    NumberFilterForm,
    PersonForm,
    ReleaseForm,
    StorageForm,
    person_label,
)
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


FAX_COUNT_LIMIT = 1000


def detail_context(request: HtmxHttpRequest, number: FaxNumber, **forms: Any) -> dict[str, Any]:
    """What the number's page and its sections show; `forms` replaces a section's form
    (a bound one with errors)."""
    context: dict[str, Any] = {
        "number": number,
        # Whoever may see the number sees all of its faxes (`faxes.selectors.visible_faxes`).
        # Counted up to a limit, as the history counts (numbers know no faxes' selectors):
        # a busy number has a million.
        "fax_count": number.faxes.filter(deleted_at__isnull=True)[: FAX_COUNT_LIMIT + 1].count(),
        "count_limit": FAX_COUNT_LIMIT,
    }
    if not request.user.is_staff:
        return context
    api_users = [u for u in number.raw.get("users") or [] if isinstance(u, dict)]
    api_ids = [i for i in (parse_uuid(u.get("userId")) for u in api_users) if i is not None]
    linked = {
        str(p.drenfax_user_id): p.user
        for p in Profile.objects.filter(drenfax_user_id__in=api_ids).select_related("user")
    }
    stored_password = has_password(number)
    context.update(
        people=number.assigned_users.select_related("profile").order_by(
            "first_name", "last_name", "username"
        ),
        api_users=[(u, linked.get(str(u.get("userId", "")).lower())) for u in api_users],
        api_ids=api_ids,
        has_password=stored_password,
        assign_form=PersonForm(users=assignable_users(number)),
        storage_form=StorageForm(
            initial=StorageForm.initial_for(number), has_password=stored_password
        ),
        manager_form=ManagerForm(initial={"managed_by": number.managed_by}),
    )
    context.update(forms)
    return context


def _section(
    request: HtmxHttpRequest,
    number: FaxNumber,
    section: str,
    *,
    notice: tuple[str, str] | None = None,
    **forms,
) -> HttpResponse:
    """The changed section (htmx) or the whole page, with a notice and any bound forms."""
    number.refresh_from_db()
    context = detail_context(request, number, **forms)
    context["notice"] = (
        {"level": notice[0], "text": notice[1], "section": section} if notice else None
    )
    template = "numbers/detail.html"
    if request.htmx:
        template += f"#{section}"
    return render(request, template, context)


def _done(
    request: HtmxHttpRequest, number: FaxNumber, section: str, level: int, text: str
) -> HttpResponse:
    """After an action: the section with the outcome (htmx), or back to the page."""
    if request.htmx:
        return _section(request, number, section, notice=(messages.DEFAULT_TAGS[level], text))
    messages.add_message(request, level, text)
    return redirect("numbers:detail", number_id=number.uuid)


@staff_or_404
@require_POST
def number_assign(request: HtmxHttpRequest, number_id) -> HttpResponse:
    number = get_number_for_user(request.user, number_id)
    if not number.is_active:
        return _done(
            request, number, "people", messages.ERROR, "A released number cannot be assigned."
        )
    form = PersonForm(request.POST, users=assignable_users(number))
    if not form.is_valid():
        return _section(request, number, "people", assign_form=form)
    person = form.cleaned_data["user"]
    try:
        with get_client() as client, audited("number.assigned", number, user=person.username):
            mirrored = actions.number_assign_user(client=client, number=number, user=person)
    except DrenfaxError as exc:
        text = not_done(exc, f"{person_label(person)} was not given this number.")
        return _done(request, number, "people", messages.ERROR, text)
    if mirrored:
        text = f"{person_label(person)} now has this number, here and at Drenfax."
        return _done(request, number, "people", messages.SUCCESS, text)
    text = (
        f"{person_label(person)} now has this number in the portal. They have no Drenfax user "
        "id, so Drenfax was not told (set one on the Team page)."
    )
    return _done(request, number, "people", messages.WARNING, text)


@staff_or_404
@require_POST
def number_unassign(request: HtmxHttpRequest, number_id) -> HttpResponse:
    number = get_number_for_user(request.user, number_id)
    form = PersonForm(request.POST, users=number.assigned_users.all())
    if not form.is_valid():
        return _done(request, number, "people", messages.ERROR, "That person does not have it.")
    person = form.cleaned_data["user"]
    try:
        with get_client() as client, audited("number.unassigned", number, user=person.username):
            actions.number_unassign_user(client=client, number=number, user=person)
    except DrenfaxError as exc:
        text = not_done(exc, f"{person_label(person)} still has this number.")
        return _done(request, number, "people", messages.ERROR, text)
    if person.is_staff:
        text = f"{person_label(person)} no longer has this number (as staff, they see every fax)."
    else:
        text = (
            f"{person_label(person)} no longer has this number, nor its faxes: those they had "
            "taken go back to Unassigned, and those they sent themselves stay visible to them."
        )
    return _done(request, number, "people", messages.SUCCESS, text)


@sensitive_post_parameters("password")
@staff_or_404
@require_POST
def number_storage(request: HtmxHttpRequest, number_id) -> HttpResponse:
    number = get_number_for_user(request.user, number_id)
    form = StorageForm(request.POST, has_password=has_password(number))
    if not form.is_valid():
        return _section(request, number, "storage", storage_form=form)
    data = form.cleaned_data
    # The audit row never holds the password itself.
    facts = {
        "protocol": data["protocol"],
        "host": data["host"],
        "new_password": bool(data["password"]),
    }
    try:
        with get_client() as client, audited("number.storage_changed", number, **facts):
            actions.number_update_storage(client=client, number=number, **data)
    except DrenfaxError as exc:
        # Keep what was typed (never the password) so it can be corrected.
        notice = ("error", not_done(exc, "The storage settings were not saved."))
        return _section(request, number, "storage", notice=notice, storage_form=form)
    text = "Storage settings saved. The password is kept safe and is never shown."
    return _done(request, number, "storage", messages.SUCCESS, text)


@staff_or_404
@require_POST
def number_manager(request: HtmxHttpRequest, number_id) -> HttpResponse:
    number = get_number_for_user(request.user, number_id)
    form = ManagerForm(request.POST)
    if not form.is_valid():
        return _section(request, number, "manager", manager_form=form)
    try:
        with get_client() as client, audited("number.manager_changed", number):
            actions.number_set_manager(
                client=client, number=number, managed_by=form.cleaned_data["managed_by"]
            )
    except DrenfaxError as exc:
        notice = ("error", not_done(exc, "The manager account was not changed."))
        return _section(request, number, "manager", notice=notice, manager_form=form)
    return _done(request, number, "manager", messages.SUCCESS, "Manager account changed.")


@staff_or_404
@require_http_methods(["GET", "POST"])
def number_release(request: HtmxHttpRequest, number_id) -> HttpResponse:
    """Release a number after the staff user typed it (any usual format)."""
    number = get_number_for_user(request.user, number_id)
    if not number.is_active:
        messages.info(
            request, f"{number.national} is already {number.get_state_display().lower()}."
        )
        return redirect("numbers:detail", number_id=number.uuid)
    form = ReleaseForm(request.POST or None, number=number)
    if request.method == "POST" and form.is_valid():
        try:
            with get_client() as client, audited("number.released", number):
                number = actions.number_release(client=client, number=number)
        except DrenfaxError as exc:
            messages.error(request, not_done(exc, f"{number.national} was not released."))
        else:
            until = (
                f" until {date_format(localtime(number.pending_until), 'M j, Y')}"
                if number.pending_until
                else ""
            )
            messages.success(
                request,
                f"{number.national} was released. Drenfax keeps it as pending{until}; "
                "members no longer see it.",
            )
            return redirect("numbers:detail", number_id=number.uuid)
    people = number.assigned_users.order_by("username")
    return render(
        request, "numbers/release.html", {"number": number, "form": form, "people": people}
    )
