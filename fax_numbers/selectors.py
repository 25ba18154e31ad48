"""Which numbers a user may see: the one rule, used by every page, partial and action."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

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
    try:
        return visible_numbers(user).get(uuid=uuid)
    except (FaxNumber.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404("No such number") from None
