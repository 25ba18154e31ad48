"""The whole blast against the sandbox: only the valid rows reach Drenfax, once."""

from __future__ import annotations

import re
import threading
import time
import uuid

import pytest
from django.db import connections
from django.test import Client

from faxes.models import Fax, FaxEvent, Submission
from tests.blast.helpers import upload, xlsx_bytes
from tests.send.helpers import text

ROWS = [
    ["Clinic fax list"],
    ["Recipient Name", "Fax Number", "City"],
    ["Dr. Lee", "(206) 555-0123", "Seattle"],
    ["Busy pharmacy", 2065550001, "Seattle"],  # the sandbox fails numbers ending in 0001
    ["Dr. Lee again", "+1 206 555 0123", "Seattle"],
    ["Nobody", "555-01", "Nowhere"],
    ["London office", "+44 20 7946 0000", "London"],
    ["Formula", "=C3", "Seattle"],
    [None, None, None],
    ["No number", None, "Boston"],
]
VALID = ["+12065550123", "+12065550001", "+442079460000"]


def blast_calls(sandbox) -> int:
    return sandbox.stats()["calls"].get("POST /v1/fax/blast", 0)


def reviewed(client: Client, rows=ROWS) -> tuple[str, dict[str, str]]:
    response = client.post("/faxes/blast/", {"workbook": upload(xlsx_bytes(rows), "clinics.xlsx")})
    location = response["Location"]
    page = text(client.get(location))
    form = {
        "submission_key": re.search(r'name="submission_key" value="([0-9a-f-]{36})"', page)[1],
        "digest": re.search(r'name="digest" value="([0-9a-f]+)"', page)[1],
        "cover_page": "default",
        "action": "send",
    }
    return location, form


@pytest.mark.django_db
def test_only_the_valid_rows_reach_the_sandbox_once_and_enter_the_history(
    sandbox, alice, alice_client
):
    location, form = reviewed(alice_client)
    page = text(alice_client.get(location))
    assert "3 recipients</strong> will receive the fax" in page
    assert "4 rows left out</strong>" in page

    response = alice_client.post(location, form)
    submission = Submission.objects.get()
    assert response["Location"] == f"/faxes/submissions/{submission.key}/"
    assert submission.state == Submission.State.DONE and submission.kind == "blast"
    stats = sandbox.stats()
    assert blast_calls(sandbox) == 1 and stats["faxes"]["total"] == 3
    assert "POST /v1/faxes" not in stats["calls"]

    faxes = Fax.objects.filter(submission=submission).order_by("fax_number")
    assert sorted(f.fax_number for f in faxes) == sorted(VALID)
    assert {f.sent_by_id for f in faxes} == {alice.pk}
    names = {f.fax_number: f.recipient_name for f in faxes}
    assert names["+12065550123"] == "Dr. Lee" and names["+442079460000"] == "London office"
    assert FaxEvent.objects.filter(fax__in=faxes).count() == 3

    result = text(alice_client.get(response["Location"]))
    assert result.count("open the fax") == 3
    history = text(alice_client.get("/faxes/?direction=outbound"))
    for fax in faxes:
        assert str(fax.message_id) in history

    for fax in faxes:
        sandbox.wait_for_fax(str(fax.message_id))
    # The same form again (a retry, a double click, back and resubmit) calls nothing.
    again = alice_client.post(location, form, follow=True)
    assert "This blast was sent already" in text(again)
    assert blast_calls(sandbox) == 1 and sandbox.stats()["faxes"]["total"] == 3


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_send_one_blast(sandbox, alice):
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(alice)
    location, form = reviewed(clients[0])
    sandbox.add_fault(endpoint="POST /v1/fax/blast", fault="stall_after_create", stall_seconds=1)
    answers: list[int] = []

    def click(client: Client) -> None:
        try:
            answers.append(client.post(location, form).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join(timeout=30)
    assert answers == [302, 302]
    assert Submission.objects.count() == 1
    deadline = time.monotonic() + 10
    while blast_calls(sandbox) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert blast_calls(sandbox) == 1 and sandbox.stats()["faxes"]["total"] == 3


@pytest.mark.django_db
def test_a_blast_whose_answer_is_lost_is_reconciled_never_resent(sandbox, settings, alice_client):
    from drenfax_portal.api import get_client
    from faxes.services.submissions import reconcile_unknown_submissions

    settings.DRENFAX_TIMEOUT = (2, 1)
    sandbox.add_fault(endpoint="POST /v1/fax/blast", fault="stall_after_create", stall_seconds=3)
    location, form = reviewed(alice_client)
    response = alice_client.post(location, form)
    submission = Submission.objects.get()
    assert response["Location"] == f"/faxes/submissions/{submission.key}/"
    assert submission.state == Submission.State.UNKNOWN
    assert sandbox.stats()["faxes"]["total"] == 3

    alice_client.post(location, form)  # again: nothing is sent
    with get_client() as client:
        assert reconcile_unknown_submissions(client=client) == 1
    submission.refresh_from_db()
    assert submission.state == Submission.State.DONE
    assert Fax.objects.filter(submission=submission).count() == 3
    deadline = time.monotonic() + 10
    while blast_calls(sandbox) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert blast_calls(sandbox) == 1 and sandbox.stats()["faxes"]["total"] == 3


@pytest.mark.django_db
def test_a_thousand_row_list_goes_out_in_one_call(sandbox, alice_client):
    rows = [["Fax Number", "Recipient Name"]] + [
        [f"(212) 555-{i:04d}", f"Clinic {i}"] for i in range(2000, 3000)
    ]
    rows.append(["(212) 555-2000", "Duplicate"])
    location, form = reviewed(alice_client, rows)
    alice_client.post(location, form)
    submission = Submission.objects.get()
    assert submission.state == Submission.State.DONE
    assert blast_calls(sandbox) == 1 and sandbox.stats()["faxes"]["total"] == 1000
    assert Fax.objects.filter(submission=submission).count() == 1000
    page = text(alice_client.get(f"/faxes/submissions/{submission.key}/"))
    assert "1,000 accepted." in page and "Recipients 1\u2013250 of 1,000" in page
    assert uuid.UUID(submission.results[0]["message_id"])
