"""Which numbers a user may see: the one rule, used by every page, partial and action."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from drenfax_portal.uuids import parse_uuid
from fax_numbers.models import FaxNumber

# Numbers a member works with; a released (pending) number leaves their lists.
MEMBER_STATES = (FaxNumber.State.AVAILABLE, FaxNumber.State.ASSIGNED)


def visible_numbers(user: AbstractBaseUser) -> QuerySet[FaxNumber]:
    """Staff see every number of the account; members see the active numbers assigned to them."""
    if not user.is_authenticated:
        return FaxNumber.objects.none()
    if user.is_staff:
        return FaxNumber.objects.all()
    return FaxNumber.objects.filter(assigned_users=user, state__in=MEMBER_STATES)


def get_number_for_user(user: AbstractBaseUser, uuid: object) -> FaxNumber:
    """The number with this uuid if the user may see it; otherwise 404 (never 403)."""
    return get_object_or_404(visible_numbers(user), uuid=parse_uuid(uuid))


def filter_numbers(user: AbstractBaseUser, *, q: str = "", state: str = "") -> QuerySet[FaxNumber]:
    """The user's visible numbers narrowed by the list's filters: `state` a FaxNumber state,
    "all", or "" (still on the account); `q` digits of the number, or names."""
    numbers = visible_numbers(user)
    if not state:
        numbers = numbers.exclude(state=FaxNumber.State.REMOVED)
    elif state != "all":
        numbers = numbers.filter(state=state)
    text = q.strip()
    if text:
        digits = "".join(ch for ch in text if ch.isdigit())
        if digits and not any(ch.isalpha() for ch in text):
            match = Q(number__contains=digits)  # a typed (part of a) phone number
        else:
            match = (
                Q(manager_name__icontains=text)
                | Q(assigned_users__username__icontains=text)
                | Q(assigned_users__first_name__icontains=text)
                | Q(assigned_users__last_name__icontains=text)
            )
        # A subquery, so a number with two matching people is listed once.
        numbers = numbers.filter(pk__in=FaxNumber.objects.filter(match).values("pk"))
    return numbers.prefetch_related("assigned_users").order_by("number")
