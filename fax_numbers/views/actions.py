"""Staff actions on a number: people, storage settings, manager account, release.

Each answers htmx with the section it changed (with a notice), and a plain post with a
redirect and a message, so all work without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from drenfax_portal.api import describe_error, get_client
from drenfax_portal.audit.services import audited
from drenfax_portal.client import DrenfaxError
from drenfax_portal.http import HtmxHttpRequest, staff_or_404
from fax_numbers import actions
from fax_numbers.forms import ManagerForm, PersonForm, ReleaseForm, StorageForm, person_label
from fax_numbers.models import FaxNumber
from fax_numbers.selectors import get_number_for_user
from fax_numbers.views.numbers import assignable_users, detail_context, has_password


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
        text = f"{person_label(person)} was not given this number. {describe_error(exc)}"
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
        text = f"{person_label(person)} still has this number. {describe_error(exc)}"
        return _done(request, number, "people", messages.ERROR, text)
    text = f"{person_label(person)} no longer has this number. Their past faxes stay visible."
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
        notice = ("error", f"The storage settings were not saved. {describe_error(exc)}")
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
        notice = ("error", f"The manager account was not changed. {describe_error(exc)}")
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
            messages.error(request, f"{number.national} was not released. {describe_error(exc)}")
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
