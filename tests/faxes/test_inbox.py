"""The team inbox: assigning a received fax, marking it done, notes, forwarding it, and
the contacts' names beside known numbers."""

from __future__ import annotations

import re

import pytest

from contacts.models import Contact
from drenfax_portal.audit.models import AuditEvent
from faxes.models import Fax, FaxNote, Submission, TeamState
from faxes.services.documents import fax_set_pdf, write_document
from tests.conftest import API_URL
from tests.factories import make_fax, make_number
from tests.send.helpers import COVER_PAGES, fax_answer, form_data, pdf_bytes, sent_once

pytestmark = pytest.mark.django_db


def team(client, fax, action, **data):
    return client.post(f"/faxes/{fax.message_id}/team/", {"action": action, **data})


def test_a_member_takes_a_received_fax_and_marks_it_done(alice_client, alice, received):
    team(alice_client, received, "take")
    received.refresh_from_db()
    assert (received.team_state, received.assignee) == (TeamState.ASSIGNED, alice)
    assert received.team_changed_by == alice and received.team_changed_at is not None
    team(alice_client, received, "done")
    received.refresh_from_db()
    assert received.team_state == TeamState.DONE and received.assignee == alice
    actions = list(
        AuditEvent.objects.filter(object_id=str(received.message_id)).values_list(
            "action", flat=True
        )
    )
    assert "fax.assigned" in actions and "fax.done" in actions
    notes = list(received.events.values_list("note", flat=True))
    assert "assigned to alice" in notes and "marked done" in notes
    team(alice_client, received, "reopen")
    received.refresh_from_db()
    assert (received.team_state, received.assignee) == (TeamState.NEW, None)


def test_only_someone_who_can_see_the_fax_can_be_given_it(staff_client, alice, bob, received):
    refused = team(staff_client, received, "assign", assignee=bob.pk)
    assert refused.status_code == 302
    received.refresh_from_db()
    assert received.team_state == TeamState.NEW and received.assignee is None
    page = staff_client.get(f"/faxes/{received.message_id}/")
    assert "Choose someone who can see this fax" in page.text
    assert f'<option value="{bob.pk}"' not in page.text
    team(staff_client, received, "assign", assignee=alice.pk)
    received.refresh_from_db()
    assert received.assignee == alice


def test_the_row_changes_in_one_click_with_htmx(alice_client, received):
    response = alice_client.post(
        f"/faxes/{received.message_id}/team/",
        {"action": "take", "where": "row"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="fax-{received.message_id}"')
    assert ">Me</span>" in response.text


def test_a_row_button_without_javascript_comes_back_to_the_list_with_a_message(
    alice_client, received
):
    listed = alice_client.get("/faxes/?direction=inbound").text
    assert 'name="next" value="/faxes/?direction=inbound"' in listed
    response = alice_client.post(
        f"/faxes/{received.message_id}/team/",
        {"action": "take", "seen": received.team_seen, "next": "/faxes/?direction=inbound"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/faxes/?direction=inbound"
    assert "Assigned to alice." in response.text


def test_a_sent_fax_has_no_team_state(alice_client, alice, received):
    sent = make_fax(direction="outbound", faxCallerId="+12065550100", faxNumber="+14155550123")
    team(alice_client, sent, "take")
    sent.refresh_from_db()
    assert sent.team_state == TeamState.NEW and sent.assignee is None


def test_a_stale_page_does_not_overwrite_a_colleagues_change(
    alice_client, staff_client, alice, staff, received
):
    seen = received.team_seen  # alice's page shows the fax as new
    team(staff_client, received, "take", seen=seen)
    refused = alice_client.post(
        f"/faxes/{received.message_id}/team/",
        {"action": "take", "seen": seen, "where": "row"},
        headers={"HX-Request": "true"},
    )
    received.refresh_from_db()
    assert (received.team_state, received.assignee) == (TeamState.ASSIGNED, staff)
    assert "staffer changed this fax meanwhile, so nothing was changed." in refused.text
    assert ">staffer</span>" in refused.text  # the row shows where the fax stands now
    team(staff_client, received, "done", seen=f"assigned:{staff.pk}")
    team(alice_client, received, "reopen", seen=f"assigned:{staff.pk}")  # still stale
    received.refresh_from_db()
    assert (received.team_state, received.assignee) == (TeamState.DONE, staff)


def test_a_done_fax_is_reopened_before_anyone_takes_it(alice_client, received):
    team(alice_client, received, "done")
    team(alice_client, received, "take")
    received.refresh_from_db()
    assert received.team_state == TeamState.DONE
    page = alice_client.get(f"/faxes/{received.message_id}/")
    assert "This fax is done: reopen it first." in page.text


def test_a_double_click_on_done_records_it_once(alice_client, received):
    for _ in range(2):
        team(alice_client, received, "done", seen=received.team_seen)
    assert received.events.filter(note="marked done").count() == 1
    assert AuditEvent.objects.filter(action="fax.done").count() == 1


@pytest.mark.parametrize("assignee", ["\u00b2", "\u0661", "9" * 30, "-1", ""])
def test_an_assignee_that_is_not_an_id_is_refused_with_a_message(staff_client, received, assignee):
    response = team(staff_client, received, "assign", assignee=assignee)
    assert response.status_code == 302
    received.refresh_from_db()
    assert received.team_state == TeamState.NEW
    page = staff_client.get(f"/faxes/{received.message_id}/")
    assert "Choose someone who can see this fax." in page.text


@pytest.mark.parametrize("path", ["team/", "notes/", "forward/"])
def test_a_member_gets_404_on_another_members_fax(bob_client, received, path):
    response = bob_client.post(
        f"/faxes/{received.message_id}/{path}", {"action": "take", "text": "x"}
    )
    assert response.status_code == 404
    received.refresh_from_db()
    assert received.team_state == TeamState.NEW and not FaxNote.objects.exists()


def test_the_history_filters_mine_unassigned_and_done(alice_client, staff_client, alice, received):
    other = make_fax(direction="inbound", status="success", faxNumber="+12065550100")
    done = make_fax(direction="inbound", status="success", faxNumber="+12065550100")
    team(alice_client, received, "take")
    team(alice_client, done, "done")

    def listed(client, query):
        return re.findall(r'<tr id="fax-([0-9a-f-]{36})"', client.get(f"/faxes/?{query}").text)

    assert listed(alice_client, "team=mine") == [str(received.message_id)]
    assert listed(alice_client, "team=unassigned") == [str(other.message_id)]
    assert listed(alice_client, "team=done") == [str(done.message_id)]
    assert listed(staff_client, "team=mine") == []  # assigned to alice, not to staff


def test_a_note_is_kept_audited_without_its_text_and_a_bad_one_keeps_what_was_typed(
    alice_client, received
):
    alice_client.post(f"/faxes/{received.message_id}/notes/", {"text": "Called Mercy: MRN 4471"})
    note = FaxNote.objects.get()
    assert note.text == "Called Mercy: MRN 4471"
    event = AuditEvent.objects.get(action="fax.note_added")
    assert "4471" not in str(event.details)
    too_long = "x" * 1001
    page = alice_client.post(f"/faxes/{received.message_id}/notes/", {"text": too_long})
    assert page.status_code == 200
    assert "Ensure this value has at most 1000 characters" in page.text
    assert too_long in page.text
    assert FaxNote.objects.count() == 1


def stored_pdf(fax: Fax) -> None:
    relative, _ = write_document([pdf_bytes(2)])
    fax_set_pdf(fax, relative)


def test_forwarding_attaches_the_stored_document_and_links_both_faxes(
    alice_client, api, received, settings, tmp_path
):
    settings.FAX_DOCUMENTS_DIR = tmp_path / "documents"
    api.get(f"{API_URL}/coverpages", json=COVER_PAGES)
    stored_pdf(received)
    form = alice_client.post(f"/faxes/{received.message_id}/forward/")
    assert form.status_code == 200
    page = form.content.decode()
    assert "Forwarding a received fax" in page
    assert "fax-received-" in page and "2 pages" in page
    assert "Forwarded fax from (718) 555-0111 (MERCY CLINIC) received" in page
    token = re.search(r'name="files" value="([0-9a-f-]{36})"', page)[1]

    answer = fax_answer("+13125550199")
    api.post(f"{API_URL}/v1/faxes", json=answer)
    data = form_data(
        recipients="(312) 555-0199",
        files=token,
        forwarded_from=str(received.message_id),
        notes=re.search(r"(Forwarded fax from [^<]*)<", page)[1],
    )
    sent = alice_client.post("/faxes/send/", data)
    assert sent.status_code == 302 and len(sent_once(api)) == 1
    assert Submission.objects.get().forwarded_from == received
    outgoing = Fax.objects.get(message_id=answer["messageId"])
    inbound_page = alice_client.get(f"/faxes/{received.message_id}/").text
    assert f"/faxes/{outgoing.message_id}/" in inbound_page and "Forwarded to" in inbound_page
    assert (
        f"/faxes/{received.message_id}/" in alice_client.get(f"/faxes/{outgoing.message_id}/").text
    )


def test_a_fax_whose_document_is_gone_cannot_be_forwarded(alice_client, received):
    Fax.objects.filter(pk=received.pk).update(is_file_purged=True)
    response = alice_client.post(f"/faxes/{received.message_id}/forward/", follow=True)
    assert "no longer kept, so it cannot be forwarded" in response.text
    assert not Submission.objects.exists()


def test_a_forward_of_someone_elses_fax_is_refused_at_send(bob_client, api, received):
    api.get(f"{API_URL}/coverpages", json=COVER_PAGES)
    make_number(
        "+13125550101",
    )
    response = bob_client.post("/faxes/send/", form_data(forwarded_from=str(received.message_id)))
    assert "no longer yours to see" in response.text
    assert not sent_once(api)


def test_known_numbers_show_their_contact_and_staff_can_add_the_others(
    alice_client, staff_client, received
):
    page = staff_client.get(f"/faxes/{received.message_id}/").text
    assert "Add to contacts" in page and "fax_number=%2B17185550111" in page
    Contact.objects.create(name="Mercy Clinic front desk", fax_number="+17185550111")
    assert "Mercy Clinic front desk" in alice_client.get("/faxes/").text
    page = alice_client.get(f"/faxes/{received.message_id}/").text
    assert "Contact: <strong>Mercy Clinic front desk</strong>" in page
    assert "Add to contacts" not in staff_client.get(f"/faxes/{received.message_id}/").text
