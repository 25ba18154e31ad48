"""Which faxes a user may see: the one rule, used by every page, partial, download and action.

A member sees a fax when it is inbound to one of their numbers, or outbound and either sent
by them through the portal or sent from one of their numbers (caller id). Staff see all.
`Fax.number` holds exactly that link (inbound: receiving number; outbound: caller id), so the
rule is two indexed conditions.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from fax_numbers.models import FaxNumber
from faxes.models import Fax, Submission


def visible_faxes(user: AbstractBaseUser) -> QuerySet[Fax]:
    """The faxes this user may see (deleted ones excluded)."""
    if not user.is_authenticated:
        return Fax.objects.none()
    faxes = Fax.objects.filter(deleted_at__isnull=True)
    if user.is_staff:
        return faxes
    mine = FaxNumber.objects.filter(assigned_users=user).values("id")
    return faxes.filter(Q(number_id__in=mine) | Q(sent_by=user))


def get_fax_for_user(user: AbstractBaseUser, message_id: object) -> Fax:
    """The fax with this message id if the user may see it; otherwise 404 (never 403)."""
    try:
        return visible_faxes(user).get(message_id=message_id)
    except (Fax.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404("No such fax") from None


def get_submission_for_user(user: AbstractBaseUser, key: object) -> Submission:
    """A send the user made (staff: anyone's); otherwise 404."""
    submissions = (
        Submission.objects.all() if user.is_staff else Submission.objects.filter(user_id=user.pk)
    )
    try:
        return submissions.get(key=key)
    except (Submission.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404("No such submission") from None
