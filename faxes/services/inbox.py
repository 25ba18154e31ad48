"""The team's handling of received faxes: who has one, whether it is done, notes on it.

None of this reaches the provider. Each change is written on the fax, in its timeline and in
the audit trail (a note's text stays out of the audit trail: it may name a patient).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from drenfax_portal.audit.services import audit_record
from faxes.models import Direction, Fax, FaxEvent, FaxNote, TeamState
from faxes.selectors import assignable_users


class NotAssignable(ValueError):
    """The change cannot be made; `str()` says why."""


def person_name(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def fax_set_team_state(
    *,
    fax: Fax,
    by: AbstractBaseUser,
    state: TeamState,
    assignee: AbstractBaseUser | None = None,
    seen: str | None = None,
) -> Fax:
    """Assign a received fax (to `assignee`), mark it done, or reopen a done one.

    `seen` is the state the user's page showed (`Fax.team_seen`): when someone changed the fax
    since, nothing changes and NotAssignable says who did. A change already made (a double
    click) records nothing."""
    if fax.direction != Direction.INBOUND:
        raise NotAssignable("Only received faxes are assigned and marked done.")
    fax = Fax.objects.select_for_update().get(pk=fax.pk)
    if state == TeamState.ASSIGNED:
        if assignee is None or not assignable_users(fax).filter(pk=assignee.pk).exists():
            raise NotAssignable("That person cannot see this fax, so it cannot be theirs.")
    else:
        assignee = fax.assignee if state == TeamState.DONE else None
    if (fax.team_state, fax.assignee_id) == (state, assignee.pk if assignee else None):
        return fax
    if seen is not None and seen != fax.team_seen:
        who = person_name(fax.team_changed_by) if fax.team_changed_by else "Someone"
        raise NotAssignable(f"{who} changed this fax meanwhile, so nothing was changed.")
    if state == TeamState.ASSIGNED and fax.team_state == TeamState.DONE:
        raise NotAssignable("This fax is done: reopen it first.")
    if state == TeamState.NEW and fax.team_state != TeamState.DONE:
        raise NotAssignable("Only a fax marked done can be reopened.")
    fax.team_state = state
    fax.assignee = assignee
    fax.team_changed_by = by
    fax.team_changed_at = timezone.now()
    fax.save(update_fields=["team_state", "assignee", "team_changed_by", "team_changed_at"])
    if state == TeamState.ASSIGNED:
        note, action = f"assigned to {person_name(assignee)}", "fax.assigned"
    elif state == TeamState.DONE:
        note, action = "marked done", "fax.done"
    else:
        note, action = "back to new", "fax.reopened"
    FaxEvent.objects.create(
        fax=fax, source=FaxEvent.Source.USER, status=fax.status, user=by, note=note
    )
    details = {"assignee": assignee.get_username()} if assignee is not None else {}
    audit_record(action, target=fax, user=by, details=details)
    return fax


@transaction.atomic
def faxes_back_to_team(*, number_id: int, user: AbstractBaseUser) -> int:
    """The received faxes of a number that `user` held and can no longer see (the number was
    taken away from them) go back to new, for the number's other members to take; returns
    how many. Called when a number loses a member (`faxes.apps`)."""
    if user.is_staff:
        return 0
    held = Fax.objects.select_for_update().filter(
        number_id=number_id,
        direction=Direction.INBOUND,
        team_state=TeamState.ASSIGNED,
        assignee=user,
    )
    note = f"back to new: {person_name(user)} no longer has this number"
    count = 0
    for fax in held:
        fax.team_state, fax.assignee = TeamState.NEW, None
        fax.team_changed_by, fax.team_changed_at = None, timezone.now()
        fax.save(update_fields=["team_state", "assignee", "team_changed_by", "team_changed_at"])
        FaxEvent.objects.create(fax=fax, source=FaxEvent.Source.USER, status=fax.status, note=note)
        audit_record("fax.reopened", target=fax, details={"was_assignee": user.get_username()})
        count += 1
    return count


def fax_note_add(*, fax: Fax, author: AbstractBaseUser, text: str) -> FaxNote:
    """A note for the team, kept with the fax and never sent anywhere."""
    note = FaxNote.objects.create(fax=fax, author=author, text=text)
    audit_record("fax.note_added", target=fax, user=author, details={"characters": len(text)})
    return note
