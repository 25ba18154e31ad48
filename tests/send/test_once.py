"""A fax is never sent twice: one-time keys, unknown outcomes, and failures that keep the form."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from datetime import timedelta

import pytest
import requests
from django.db import connections
from django.test import Client
from django.utils import timezone

import faxes.services.sending
from drenfax_portal.client import DrenfaxClient
from faxes.models import Fax, Submission
from faxes.services.submissions import reconcile_unknown_submissions, submission_execute
from faxes.tasks import submissions_periodic
from tests.client.conftest import files, multipart
from tests.conftest import API_URL
from tests.factories import make_fax
from tests.send.helpers import (
    COVER_PAGES,
    fax_answer,
    form_data,
    pdf_bytes,
    post,
    sent_once,
    text,
    upload,
)

pytestmark = pytest.mark.django_db


def key_of(page: str) -> str:
    return re.search(r'name="submission_key" value="([0-9a-f-]{36})"', page)[1]


def tokens(page: str) -> list[str]:
    return re.findall(r'name="files" value="([0-9a-f-]{36})"', page)


def test_a_repeated_key_shows_the_first_result_and_sends_nothing(alice_client, covers):
    covers.post(f"{API_URL}/v1/faxes", json=fax_answer())
    data = form_data(attachments=[upload("a.pdf", pdf_bytes())])
    first = alice_client.post("/faxes/send/", data)
    data["attachments"] = [upload("a.pdf", pdf_bytes())]  # a retried request posts it again
    second = alice_client.post("/faxes/send/", data, follow=True)
    assert first["Location"] == second.redirect_chain[0][0]
    assert "This form was sent already" in text(second)
    assert len(sent_once(covers)) == 1 and Submission.objects.count() == 1


def test_a_used_key_cannot_be_previewed_or_edited_again(alice_client, covers):
    covers.post(f"{API_URL}/v1/faxes", json=fax_answer())
    data = form_data()
    alice_client.post("/faxes/send/", data)
    submission = Submission.objects.get()
    for action in ["preview", "update", "add_field"]:
        response = alice_client.post("/faxes/send/", {**data, "action": action})
        assert response["Location"] == f"/faxes/submissions/{submission.key}/"
    htmx = alice_client.post(
        "/faxes/send/", {**data, "action": "preview"}, headers={"HX-Request": "true"}
    )
    assert htmx["HX-Redirect"] == f"/faxes/submissions/{submission.key}/"
    assert len(sent_once(covers)) == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_key_posted_twice_at_once_sends_once(alice, api, monkeypatch):
    api.get(f"{API_URL}/coverpages", json=COVER_PAGES)
    answer = fax_answer()

    def slow_answer(request):
        time.sleep(0.3)  # the other request arrives while this one is being sent
        return 200, {}, json.dumps(answer)

    api.add_callback("POST", f"{API_URL}/v1/faxes", callback=slow_answer)
    # Both requests reach the claim together, past the early "already used?" check.
    barrier = threading.Barrier(2, timeout=10)
    real_claim = faxes.services.sending.submission_claim

    def claim_together(**kwargs):
        barrier.wait()
        return real_claim(**kwargs)

    monkeypatch.setattr(faxes.services.sending, "submission_claim", claim_together)
    key = str(uuid.uuid4())
    responses: list = []

    def submit() -> None:
        try:
            client = Client()
            client.force_login(alice)
            responses.append(client.post("/faxes/send/", form_data(submission_key=key)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [r.status_code for r in responses] == [302, 302]
    assert {r["Location"] for r in responses} == {f"/faxes/submissions/{key}/"}
    assert len(sent_once(api)) == 1
    assert Submission.objects.get().state == Submission.State.DONE
    assert Fax.objects.count() == 1


def test_a_timeout_after_sending_is_unknown_and_never_sent_again(alice_client, covers):
    covers.post(f"{API_URL}/v1/faxes", body=requests.ReadTimeout("read timed out"))
    data = form_data()
    response = alice_client.post("/faxes/send/", data, follow=True)
    page = text(response)
    assert "Outcome unknown" in page and "will <strong>not</strong> send it again" in page
    assert 'hx-trigger="every 2s"' in page  # the page follows the reconciliation
    assert Submission.objects.get().state == Submission.State.UNKNOWN
    alice_client.post("/faxes/send/", data)  # the browser retries, the user clicks again
    assert len(sent_once(covers)) == 1


def test_a_server_error_is_unknown_too(alice_client, covers):
    covers.post(f"{API_URL}/v1/faxes/multiple", status=502, json={"error": "bad gateway"})
    response = post(alice_client, recipients="206 555 0111, 312 555 0122")
    assert response["Location"].startswith("/faxes/submissions/")
    assert Submission.objects.get().state == Submission.State.UNKNOWN


def test_an_answer_that_cannot_be_read_is_unknown_too(alice_client, covers):
    # A 2xx the client cannot read: Drenfax took the request and may have made the faxes.
    covers.post(f"{API_URL}/v1/faxes/multiple", status=200, body="<html>OK</html>")
    response = post(alice_client, recipients="206 555 0111, 312 555 0122")
    assert response["Location"].startswith("/faxes/submissions/")
    assert Submission.objects.get().state == Submission.State.UNKNOWN


@pytest.mark.parametrize("answer", [{}, {"data": {"success": [{"messageId": "x"}]}}])
def test_a_2xx_that_names_no_fax_is_unknown_and_never_sent_again(alice_client, covers, answer):
    covers.post(f"{API_URL}/v1/faxes/multiple", json=answer)
    response = post(alice_client, recipients="206 555 0111, 312 555 0122")
    assert response["Location"].startswith("/faxes/submissions/")
    submission = Submission.objects.get()
    assert submission.state == Submission.State.UNKNOWN
    # The page offers no "send again"; a retry of the same form sends nothing.
    page = text(alice_client.get(f"/faxes/submissions/{submission.key}/"))
    assert "Nothing was sent" not in page
    post(alice_client, submission_key=str(submission.key), recipients="206 555 0111, 312 555 0122")
    assert len(sent_once(covers)) == 1


@pytest.mark.parametrize(
    ("refusal", "reason"),
    [
        ({"error": {"name": "InvalidInputError", "message": "not a fax number"}}, ""),
        ({}, "refused by Drenfax"),
    ],
)
def test_a_refusal_without_a_plain_reason_still_brings_the_form_back(
    alice_client, covers, refusal, reason
):
    errors = [{"recipientFax": n, **refusal} for n in ("+12065550111", "+13125550122")]
    covers.post(f"{API_URL}/v1/faxes/multiple", json={"success": [], "errors": errors})
    page = text(post(alice_client, recipients="206 555 0111, 312 555 0122"))
    reason = reason or "InvalidInputError: not a fax number"
    assert f"Nothing was sent. {reason}; {reason}" in page
    assert Submission.objects.get().state == Submission.State.FAILED


def test_a_refusal_brings_the_form_back_with_its_files_and_a_new_key(alice_client, covers):
    covers.post(
        f"{API_URL}/v1/faxes", status=400, json={"error": "InvalidInputError: bad callerId"}
    )
    data = form_data(subject="Lab results", attachments=[upload("a.pdf", pdf_bytes(2))])
    old_key = data["submission_key"]
    response = alice_client.post("/faxes/send/", data)
    page = text(response)
    assert response.status_code == 200
    assert "Nothing was sent. bad callerId" in page
    assert 'value="Lab results"' in page and "a.pdf" in page and "2 pages" in page
    new_key = key_of(page)
    assert new_key != old_key
    assert Submission.objects.get(key=old_key).state == Submission.State.FAILED

    # The same (old) key again: its result, no call.
    again = alice_client.post("/faxes/send/", {**data, "attachments": []})
    assert again["Location"] == f"/faxes/submissions/{old_key}/"
    assert len(sent_once(covers)) == 1

    # The new key, without uploading again: the kept file goes out.
    covers.replace("POST", f"{API_URL}/v1/faxes", json=fax_answer())
    sent = post(alice_client, submission_key=new_key, subject="Lab results", files=tokens(page))
    assert sent["Location"] == f"/faxes/submissions/{new_key}/"
    calls = sent_once(covers)
    assert len(calls) == 2
    assert files(multipart(calls[1].request)) == [
        ("attachments", "a.pdf", "application/pdf", pdf_bytes(2))
    ]


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        ({"status": 429, "headers": {"Retry-After": "30"}, "json": {"error": "slow"}}, "slow down"),
        ({"body": requests.ConnectionError("Connection refused")}, "could not be reached"),
        ({"status": 401, "json": {"error": "bad key"}}, "refused the portal"),
    ],
)
def test_failures_before_anything_was_sent_keep_the_form(alice_client, covers, failure, words):
    covers.post(f"{API_URL}/v1/faxes", **failure)
    response = post(alice_client, subject="Kept", attachments=[upload("a.pdf", pdf_bytes())])
    page = text(response)
    assert response.status_code == 200
    assert "Nothing was sent." in page and words in page
    assert 'value="Kept"' in page and len(tokens(page)) == 1
    assert Submission.objects.get().state == Submission.State.FAILED


def test_a_send_refused_for_every_recipient_brings_the_form_back(alice_client, covers):
    covers.post(
        f"{API_URL}/v1/faxes/multiple",
        json={
            "success": [],
            "errors": [
                {"error": "not a fax number", "recipientFax": "+12065550111"},
                {"error": "blocked", "recipientFax": "+13125550122"},
            ],
        },
    )
    page = text(post(alice_client, recipients="206 555 0111, 312 555 0122"))
    assert "Nothing was sent. not a fax number; blocked" in page


def test_someone_elses_key_is_a_404_and_sends_nothing(alice_client, bob_client, covers):
    covers.post(f"{API_URL}/v1/faxes", json=fax_answer())
    data = form_data()
    alice_client.post("/faxes/send/", data)
    assert bob_client.post("/faxes/send/", data).status_code == 404
    assert len(sent_once(covers)) == 1


def test_a_form_without_its_key_is_not_sent(alice_client, covers):
    page = text(post(alice_client, submission_key="not-a-key"))
    assert "The form had expired, so nothing was sent." in page
    assert sent_once(covers) == [] and not Submission.objects.exists()


# --- editing a send again -----------------------------------------------------------------------


def test_a_refused_send_can_be_opened_again_filled_in(alice_client, bob_client, covers):
    covers.post(f"{API_URL}/v1/faxes", status=400, json={"error": "no"})
    data = form_data(subject="Again", tags="x", attachments=[upload("a.pdf", pdf_bytes())])
    alice_client.post("/faxes/send/", data)
    key = data["submission_key"]
    result = text(alice_client.get(f"/faxes/submissions/{key}/"))
    assert f'href="/faxes/send/?from={key}"' in result and "Edit and send again" in result
    page = text(alice_client.get(f"/faxes/send/?from={key}"))
    assert 'value="Again"' in page and 'value="x"' in page and "a.pdf" in page
    assert "(206) 555-0111</textarea>" in page
    assert key_of(page) != key
    assert bob_client.get(f"/faxes/send/?from={key}").status_code == 404
    assert len(sent_once(covers)) == 1


def test_after_a_partly_refused_send_only_the_refused_numbers_are_filled_in(alice_client, covers):
    covers.post(
        f"{API_URL}/v1/faxes/multiple",
        json={
            "success": [fax_answer("+12065550111")],
            "errors": [{"error": "busy", "recipientFax": "+13125550122"}],
        },
    )
    data = form_data(recipients="206 555 0111, 312 555 0122")
    alice_client.post("/faxes/send/", data)
    page = text(alice_client.get(f"/faxes/send/?from={data['submission_key']}"))
    assert ">+13125550122</textarea>" in page


def test_a_send_whose_form_was_purged_opens_a_blank_form(alice_client, covers):
    covers.post(f"{API_URL}/v1/faxes", status=400, json={"error": "no"})
    data = form_data(subject="Gone")
    alice_client.post("/faxes/send/", data)
    Submission.objects.update(summary={})
    page = text(alice_client.get(f"/faxes/send/?from={data['submission_key']}", follow=True))
    assert "no longer kept" in page and 'value="Gone"' not in page


# --- reconciliation -------------------------------------------------------------------------


def client() -> DrenfaxClient:
    return DrenfaxClient(API_URL, "test-key")


def test_a_send_stuck_while_sending_is_reconciled_to_the_fax_that_exists(alice, api):
    key = uuid.uuid4()
    stuck = Submission.objects.create(key=key, user=alice, kind="send", recipients=["+12065550111"])
    started = timezone.now() - timedelta(minutes=11)
    Submission.objects.filter(pk=stuck.pk).update(created_at=started)
    fax = make_fax(
        faxNumber="+12065550111", createdAt=(started + timedelta(seconds=20)).isoformat()
    )
    assert reconcile_unknown_submissions(client=client()) == 1
    stuck.refresh_from_db()
    fax.refresh_from_db()
    assert stuck.state == Submission.State.DONE and fax.submission == stuck
    assert fax.sent_by == alice
    assert not [c for c in api.calls if c.request.method == "POST"]


def test_an_unknown_send_waits_for_every_recipient_before_it_settles(alice_client, covers):
    covers.post(f"{API_URL}/v1/faxes/multiple", body=requests.ReadTimeout("read timed out"))
    key = post(alice_client, recipients="206 555 0111, 312 555 0122")["Location"].split("/")[-2]
    now = timezone.now().isoformat()
    make_fax(faxNumber="+12065550111", direction="outbound", createdAt=now)  # one webhook so far
    history = covers.get(
        re.compile(rf"{API_URL}/v1/fax/history.*"),
        json={"count": "1", "rows": [fax_answer("+12065550111", createdAt=now)]},
    )
    client = DrenfaxClient(API_URL, "test-key")
    reconcile_unknown_submissions(client=client)
    assert Submission.objects.get().state == Submission.State.UNKNOWN  # Drenfax was asked
    assert history.call_count == 1
    # Past the time to give up, the second number is not confirmed, and not offered again.
    three_days_ago = timezone.now() - timedelta(days=3)
    Submission.objects.update(created_at=three_days_ago, started_at=three_days_ago)
    Fax.objects.update(created_at=timezone.now() - timedelta(days=3))
    reconcile_unknown_submissions(client=client)
    submission = Submission.objects.get()
    assert submission.state == Submission.State.DONE
    assert "error" not in submission.results[1] and "unconfirmed" in submission.results[1]
    page = text(alice_client.get(f"/faxes/submissions/{key}/"))
    assert "Not confirmed" in page and "Send again to the refused numbers" not in page


def test_an_unknown_send_is_never_called_not_sent_from_a_page_that_ends_after_it(
    alice_client, covers
):
    # A busy account sent a full page of faxes since: the page cannot show this send's.
    covers.post(f"{API_URL}/v1/faxes", body=requests.ReadTimeout("read timed out"))
    key = post(alice_client, recipients="206 555 0111")["Location"].split("/")[-2]
    started = timezone.now() - timedelta(minutes=20)
    Submission.objects.update(created_at=started, started_at=started)
    later = (started + timedelta(minutes=5)).isoformat()
    rows = [fax_answer(f"+1312555{n:04d}", createdAt=later) for n in range(500)]
    covers.get(re.compile(rf"{API_URL}/v1/fax/history.*"), json={"count": "900", "rows": rows})
    reconcile_unknown_submissions(client=client())
    submission = Submission.objects.get()
    assert submission.state == Submission.State.DONE
    assert "unconfirmed" in submission.results[0] and "error" not in submission.results[0]
    page = text(alice_client.get(f"/faxes/submissions/{key}/"))
    assert "Not confirmed by Drenfax" in page and "whether it went out is not certain" in page
    assert "You can send it again" not in page


def test_a_recent_send_still_sending_is_left_alone(alice, api):
    busy = Submission.objects.create(
        key=uuid.uuid4(), user=alice, kind="send", recipients=["+12065550111"]
    )
    reconcile_unknown_submissions(client=client())
    busy.refresh_from_db()
    assert busy.state == Submission.State.SUBMITTING
    assert len(api.calls) == 0


def test_an_unexpected_failure_during_the_call_leaves_the_send_unknown(alice):
    submission = Submission.objects.create(key=uuid.uuid4(), user=alice, kind="send")

    def broken():
        raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError):
        submission_execute(submission, broken)
    submission.refresh_from_db()
    assert submission.state == Submission.State.UNKNOWN


def test_the_submissions_task_reconciles_unknown_sends(alice, api):
    unknown = Submission.objects.create(
        key=uuid.uuid4(), user=alice, kind="send", recipients=["+12065550111"], state="unknown"
    )
    make_fax(faxNumber="+12065550111", createdAt=timezone.now().isoformat())
    api.get(re.compile(rf"{API_URL}/.*"), status=500, json={"error": "down"})  # no API needed
    submissions_periodic.call_local()
    unknown.refresh_from_db()
    assert unknown.state == Submission.State.DONE
