"""The team page: who works with which numbers, each person's Drenfax user id and zone
(people and passwords are managed in the Django admin)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from drenfax_portal.accounts.forms import ProfileForm
from drenfax_portal.accounts.middleware import TZ_KEY
from drenfax_portal.accounts.models import Profile
from drenfax_portal.accounts.services import profile_update
from drenfax_portal.audit.services import audit_record
from drenfax_portal.http import HtmxHttpRequest, staff_or_404
from fax_numbers.forms import person_label
from fax_numbers.models import FaxNumber


@staff_or_404
@require_GET
def team_list(request: HtmxHttpRequest) -> HttpResponse:
    current = FaxNumber.objects.exclude(state=FaxNumber.State.REMOVED).order_by("number")
    people = (
        get_user_model()
        .objects.filter(is_active=True)
        .select_related("profile")
        .prefetch_related(Prefetch("fax_numbers", queryset=current))
        .order_by("-is_staff", "first_name", "last_name", "username")
    )
    return render(request, "numbers/team.html", {"people": people})


@staff_or_404
@require_http_methods(["GET", "POST"])
def team_member(request: HtmxHttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(get_user_model(), pk=user_id, is_active=True)
    # Unsaved until staff save the form: looking at a page writes nothing.
    profile = Profile.objects.filter(user=person).first() or Profile(user=person)
    form = ProfileForm(
        request.POST or None,
        profile=profile,
        initial={"drenfax_user_id": profile.drenfax_user_id, "timezone": profile.timezone},
    )
    if request.method == "POST" and form.is_valid():
        profile_update(
            user=person,
            drenfax_user_id=form.cleaned_data["drenfax_user_id"],
            timezone=form.cleaned_data["timezone"],
        )
        audit_record("user.profile_changed", target=person, details={"fields": form.changed_data})
        if person.pk == request.user.pk:
            request.session.pop(TZ_KEY, None)  # their own zone: shown from the next page on
        messages.success(request, f"Saved {person_label(person)}'s settings.")
        return redirect("numbers:team")
    context = {
        "person": person,
        "form": form,
        "numbers": person.fax_numbers.exclude(state=FaxNumber.State.REMOVED).order_by("number"),
    }
    return render(request, "numbers/team_member.html", context)
