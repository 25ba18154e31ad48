from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from drenfax_portal.accounts.models import Profile


def profile_for(user: AbstractBaseUser) -> Profile:
    """The user's profile, created with defaults the first time it is needed."""
    try:
        return user.profile  # type: ignore[attr-defined]
    except Profile.DoesNotExist:
        profile, _ = Profile.objects.get_or_create(user=user)
        return profile
