"""The team's handling of a received fax: assign it, mark it done, keep notes on it.

Each answers htmx with the piece of page it changed (a history row, or the fax page's team
or notes card), and a plain form post with a redirect back.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from drenfax_portal.http import HtmxHttpRequest, safe_next
from faxes.forms import NoteForm
from faxes.models import Fax, TeamState
from faxes.selectors import assignable_users, get_fax_for_user
from faxes.services.inbox import NotAssignable, fax_note_add, fax_set_team_state, person_name
from faxes.views.detail import fax_detail_page, notes_context, team_context


@require_POST
def fax_team(request: HtmxHttpRequest, message_id) -> HttpResponse:
    """`action`: take (assign to me), assign (to `assignee`), done or reopen."""
    fax = get_fax_for_user(request.user, message_id)
    try:
        fax = _change_team_state(request, fax, request.POST.get("action", ""))
        error = ""
    except NotAssignable as exc:
        error = str(exc)
        fax.refresh_from_db()  # the piece shows where the fax stands now
    # htmx swaps only 2xx answers: a refusal comes back as the piece, with the reason in it.
    if request.htmx and request.POST.get("where") == "row":
        return render(request, "faxes/history.html#row", {"fax": fax, "team_error": error})
    if request.htmx:
        return render(request, "faxes/detail.html#team", team_context(fax, team_error=error))
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _said(fax))
    return redirect(safe_next(request, reverse("faxes:detail", args=[fax.message_id])))


def _said(fax: Fax) -> str:
    if fax.team_state == TeamState.ASSIGNED:
        return f"Assigned to {person_name(fax.assignee)}."
    return "Marked done." if fax.team_state == TeamState.DONE else "Reopened: the fax is new."


def _change_team_state(request: HtmxHttpRequest, fax: Fax, action: str) -> Fax:
    change = {"fax": fax, "by": request.user, "seen": request.POST.get("seen")}
    if action == "take":
        return fax_set_team_state(**change, state=TeamState.ASSIGNED, assignee=request.user)
    if action == "assign":
        chosen = request.POST.get("assignee", "")
        is_id = chosen.isascii() and chosen.isdecimal() and len(chosen) < 19
        person = assignable_users(fax).filter(pk=int(chosen)).first() if is_id else None
        if person is None:
            raise NotAssignable("Choose someone who can see this fax.")
        return fax_set_team_state(**change, state=TeamState.ASSIGNED, assignee=person)
    if action in ("done", "reopen"):
        state = TeamState.DONE if action == "done" else TeamState.NEW
        return fax_set_team_state(**change, state=state)
    raise NotAssignable("Choose what to do with the fax.")


@require_POST
def fax_note(request: HtmxHttpRequest, message_id) -> HttpResponse:
    fax = get_fax_for_user(request.user, message_id)
    form = NoteForm(request.POST)
    saved = form.is_valid()
    if saved:
        fax_note_add(fax=fax, author=request.user, text=form.cleaned_data["text"])
    if request.htmx:
        context = notes_context(fax, note_form=NoteForm() if saved else form)
        return render(request, "faxes/detail.html#notes", context)
    if saved:
        return redirect(reverse("faxes:detail", args=[fax.message_id]) + "#notes")
    return fax_detail_page(request, fax, note_form=form)  # what was typed, with the reason
