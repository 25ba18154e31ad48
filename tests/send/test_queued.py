"""A send to more than a few numbers leaves the request: written down, sent by a task, once."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from drenfax_portal.api import get_client
from faxes.models import Fax, StagedFile, Submission
from faxes.services import submissions
from faxes.services.retention import documents_purge
from faxes.services.sending import QUEUE_ABOVE
from faxes.services.submissions import reconcile_unknown_submissions
from faxes.services.uploads import upload_retention
from faxes.tasks import submissions_periodic
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
    staged.delete()  # gone all the same (the purge keeps it: see below)
    tasks.run()
    submission = Submission.objects.get()
    assert submission.state == Submission.State.FAILED and send_calls(sandbox) == 0
    assert "deleted before it could be sent" in text(alice_client.get(response["Location"]))
    from drenfax_portal.audit.models import AuditEvent

    [refused] = AuditEvent.objects.filter(action="send.refused")
    assert refused.outcome == "failure" and refused.username == "alice"


def test_the_purge_keeps_the_files_of_a_send_waiting_for_its_task(sandbox, alice_client, tasks):
    alice_client.post("/faxes/send/upload/", {"attachments": upload("letter.pdf", pdf_bytes())})
    staged = StagedFile.objects.get()
    almost_expired = timezone.now() - upload_retention() + timedelta(minutes=1)
    StagedFile.objects.filter(pk=staged.pk).update(created_at=almost_expired)
    data = form_data(recipients=", ".join(NUMBERS), files=[str(staged.token)])
    alice_client.post("/faxes/send/", data)
    assert Submission.objects.get().state == Submission.State.QUEUED
    documents_purge(now=timezone.now() + timedelta(minutes=2))  # before the consumer's turn
    tasks.run()
    assert Submission.objects.get().state == Submission.State.DONE
    assert send_calls(sandbox) == 1
    documents_purge(now=timezone.now() + timedelta(minutes=2))  # sent: now it goes
    assert not StagedFile.objects.exists()


def queued_long_ago(alice_client, minutes: int) -> None:
    """A queued send whose task starts `minutes` after the form was sent (a consumer down)."""
    data = form_data(submission_key=str(uuid.uuid4()), recipients=", ".join(NUMBERS))
    alice_client.post("/faxes/send/", data)
    submission = Submission.objects.get()
    assert submission.state == Submission.State.QUEUED
    late = submission.created_at - timedelta(minutes=minutes)
    Submission.objects.update(created_at=late)


def test_a_late_start_that_times_out_is_found_at_drenfax(sandbox, alice_client, tasks):
    queued_long_ago(alice_client, 20)
    sandbox.add_fault(endpoint="POST /v1/faxes/multiple", fault="close_after_create", count=1)
    tasks.run()
    assert Submission.objects.get().state == Submission.State.UNKNOWN
    with get_client() as client:
        reconcile_unknown_submissions(client=client)
    submission = Submission.objects.get()
    # Before, its faxes fell outside the window counted from when it was queued: "not sent".
    assert submission.state == Submission.State.DONE, submission.error
    assert len(submission.results) == len(NUMBERS)


def test_a_late_start_still_sending_is_left_alone_by_the_reconciler(
    sandbox, alice_client, tasks, monkeypatch
):
    queued_long_ago(alice_client, 16)
    during, execute = [], submissions.submission_execute

    def execute_while_the_other_worker_reconciles(submission, call):
        submissions_periodic.call_local()
        during.append(Submission.objects.values_list("state", flat=True).get())
        return execute(submission, call)

    reconciling = execute_while_the_other_worker_reconciles
    monkeypatch.setattr(submissions, "submission_execute", reconciling)
    tasks.run()
    assert during == [Submission.State.SUBMITTING]
    assert Submission.objects.get().state == Submission.State.DONE
