"""Who wants which emails: a user's own choices, else the team defaults staff set."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from drenfax_portal.notifications.models import NotificationDefaults, NotificationPreference


@dataclass(frozen=True)
class Preferences:
    inbound: bool
    failures: bool
    digest: bool
    own: bool  # False while the user follows the team defaults

    def as_initial(self) -> dict[str, object]:
        return {
            "inbound": self.inbound,
            "failures": self.failures,
            "delivery": "digest" if self.digest else "each",
        }


def team_preferences() -> Preferences:
    """The team's defaults; until staff first save them, the model's (unsaved: reading a
    page writes nothing)."""
    defaults = NotificationDefaults.objects.filter(pk=1).first() or NotificationDefaults(pk=1)
    return Preferences(defaults.inbound, defaults.failures, defaults.digest, own=False)


def preferences_for(user: AbstractBaseUser) -> Preferences:
    return preferences_for_users([user.pk])[user.pk]


def preferences_for_users(user_ids: Iterable[int]) -> dict[int, Preferences]:
    """Everyone's effective preferences in two queries (for the worker)."""
    ids = set(user_ids)
    rows = {
        p.user_id: Preferences(p.inbound, p.failures, p.digest, own=True)
        for p in NotificationPreference.objects.filter(user_id__in=ids)
    }
    if len(rows) < len(ids):
        fallback = team_preferences()
        rows.update({uid: fallback for uid in ids - rows.keys()})
    return rows


def preferences_save(
    *, user: AbstractBaseUser, inbound: bool, failures: bool, digest: bool
) -> NotificationPreference:
    row, _ = NotificationPreference.objects.update_or_create(
        user_id=user.pk, defaults={"inbound": inbound, "failures": failures, "digest": digest}
    )
    return row


def preferences_reset(*, user: AbstractBaseUser) -> None:
    """Follow the team defaults again."""
    NotificationPreference.objects.filter(user_id=user.pk).delete()


@transaction.atomic
def defaults_save(
    *, by: AbstractBaseUser, inbound: bool, failures: bool, digest: bool
) -> NotificationDefaults:
    defaults, _ = NotificationDefaults.objects.select_for_update().get_or_create(pk=1)
    defaults.inbound, defaults.failures, defaults.digest = inbound, failures, digest
    defaults.updated_by_id = by.pk
    defaults.save()
    return defaults
