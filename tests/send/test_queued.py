"""A send to more than a few numbers leaves the request: written down, sent by a task, once."""

from __future__ import annotations

import uuid

import pytest

from faxes.models import Fax, StagedFile, Submission
from faxes.services.sending import QUEUE_ABOVE
from tests.send.helpers import form_data, pdf_bytes, text, upload
from tests.send.test_end_to_end import send_calls

pytestmark = pytest.mark.django_db

NUMBERS = [f"(206) 555-01{n:02d}" for n in range(QUEUE_ABOVE + 1)]


def test_a_long_multi_send_answers_at_once_and_the_task_sends_it_once(sandbox, alice_client, tasks):
    key = str(uuid.uuid4())
    data = form_data(submission_key=key, recipients=", ".join(NUMBERS), subject="Many")
    response = alice_client.post("/faxes/send/", data)
    assert response["Location"] == f"/faxes/submissions/{key}/"
    assert Submission.objects.get().state == Submission.State.QUEUED
    assert send_calls(sandbox) == 0
    alice_client.post("/faxes/send/", data)  # a double click: the same key
    assert tasks.names() == ["submission_send"]

    tasks.run()
    submission = Submission.objects.get()
    assert submission.state == Submission.State.DONE and send_calls(sandbox) == 1
    assert Fax.objects.filter(submission=submission, subject="Many").count() == len(NUMBERS)
    assert "Accepted by Drenfax" in text(alice_client.get(response["Location"]))


def test_a_few_numbers_are_still_sent_in_the_request(sandbox, alice_client, tasks):
    alice_client.post("/faxes/send/", form_data(recipients=", ".join(NUMBERS[:QUEUE_ABOVE])))
    assert Submission.objects.get().state == Submission.State.DONE
    assert not tasks.names() and send_calls(sandbox) == 1


def test_a_file_deleted_before_the_task_ran_sends_nothing_and_says_so(sandbox, alice_client, tasks):
    upload_response = alice_client.post(
        "/faxes/send/upload/", {"attachments": upload("letter.pdf", pdf_bytes())}
    )
    assert upload_response.status_code == 200
    staged = StagedFile.objects.get()
    data = form_data(recipients=", ".join(NUMBERS), files=[str(staged.token)])
    response = alice_client.post("/faxes/send/", data)
    assert Submission.objects.get().state == Submission.State.QUEUED
    staged.delete()  # the retention purge came first
    tasks.run()
    submission = Submission.objects.get()
    assert submission.state == Submission.State.FAILED and send_calls(sandbox) == 0
    assert "deleted before it could be sent" in text(alice_client.get(response["Location"]))
    from drenfax_portal.audit.models import AuditEvent

    [refused] = AuditEvent.objects.filter(action="send.refused")
    assert refused.outcome == "failure" and refused.username == "alice"
