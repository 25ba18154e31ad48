"""Per-user read marks on inbound faxes: what "unread" means on the home page.

An inbound fax is unread for a user when it was received on one of their numbers, is not
archived, and they have not opened it (a `FaxRead` mark). Older history counts as read so no
one starts with thousands: faxes from before they joined or older than `UNREAD_WINDOW`, and
those the portal knew as received when they last pressed "mark all read"
(`Profile.inbox_read_before`, compared with `first_seen_at`/`resolved_at`, not creation: an
inbound fax that started before the click but arrived after it was never on the list).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from drenfax_portal.accounts.models import Profile
from drenfax_portal.accounts.services import profile_for
from fax_numbers.models import FaxNumber
from faxes.models import Direction, Fax, FaxRead, FaxStatus
from faxes.selectors import visible_faxes

UNREAD_WINDOW = timedelta(days=30)


def _after(horizon: datetime, prefix: str = "") -> Q:
    """Faxes the portal recorded as received at or after the horizon (not covered by it)."""
    return Q(**{f"{prefix}first_seen_at__gte": horizon}) | Q(
        **{f"{prefix}resolved_at__gte": horizon}
    )


def unread_inbound(user: AbstractBaseUser, *, now: datetime | None = None) -> QuerySet[Fax]:
    """The user's unread inbound faxes (newest first), within the access rule."""
    if not user.is_authenticated:
        return Fax.objects.none()
    now = now or timezone.now()
    joined = getattr(user, "date_joined", None)
    floor = max(now - UNREAD_WINDOW, joined) if joined else now - UNREAD_WINDOW
    faxes = (
        visible_faxes(user)
        .filter(
            direction=Direction.INBOUND,
            status=FaxStatus.SUCCESS,
            is_archived=False,
            number_id__in=FaxNumber.objects.filter(assigned_users=user).values("id"),
            created_at__gte=floor,
        )
        .exclude(Exists(FaxRead.objects.filter(user_id=user.pk, fax_id=OuterRef("pk"))))
    )
    horizon = (
        Profile.objects.filter(user_id=user.pk).values_list("inbox_read_before", flat=True).first()
    )
    if horizon is not None:
        faxes = faxes.filter(_after(horizon))
    return faxes.order_by("-created_at", "-id")


def fax_mark_read(*, user: AbstractBaseUser, fax: Fax) -> None:
    """Record that the user opened this fax (idempotent; one query)."""
    if fax.direction != Direction.INBOUND:
        return
    FaxRead.objects.bulk_create([FaxRead(user_id=user.pk, fax_id=fax.pk)], ignore_conflicts=True)


@transaction.atomic
def faxes_mark_all_read(*, user: AbstractBaseUser, now: datetime | None = None) -> int:
    """Mark every inbound fax on the user's list as read; returns how many were unread."""
    now = now or timezone.now()
    unread = list(unread_inbound(user, now=now).values_list("pk", "first_seen_at", "resolved_at"))
    profile = profile_for(user)
    horizon = max(now, profile.inbox_read_before or now)
    if profile.inbox_read_before != horizon:
        profile.inbox_read_before = horizon
        profile.save(update_fields=["inbox_read_before"])
    # The provider's clock may put a finish time after ours: those need a mark of their own.
    marks = [
        FaxRead(user_id=user.pk, fax_id=pk, read_at=now)
        for pk, seen, resolved in unread
        if seen >= horizon or (resolved is not None and resolved >= horizon)
    ]
    FaxRead.objects.bulk_create(marks, ignore_conflicts=True)
    # Marks of faxes the horizon covers say nothing more; keep the table small.
    FaxRead.objects.filter(user_id=user.pk).exclude(_after(horizon, "fax__")).delete()
    return len(unread)
