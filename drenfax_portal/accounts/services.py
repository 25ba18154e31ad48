from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from drenfax_portal.accounts.models import Profile


def profile_for(user: AbstractBaseUser) -> Profile:
    """The user's profile, created with defaults the first time it is needed."""
    try:
        return user.profile  # type: ignore[attr-defined]
    except Profile.DoesNotExist:
        profile, _ = Profile.objects.get_or_create(user=user)
        return profile


@transaction.atomic
def profile_update(
    *, user: AbstractBaseUser, drenfax_user_id: uuid.UUID | None, timezone: str
) -> Profile:
    """Set a user's Drenfax user id and time zone ("" = the server's)."""
    # From the database, not `user.profile`: that may be an unsaved instance a form built.
    profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
    profile.drenfax_user_id = drenfax_user_id
    profile.timezone = timezone
    profile.full_clean(exclude=["user"])
    profile.save(update_fields=["drenfax_user_id", "timezone"])
    return profile
