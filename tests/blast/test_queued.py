"""A blast leaves the request: written down with its one-time key, sent by a task, once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from faxes.models import Fax, Submission
from faxes.services import submissions
from faxes.tasks import submission_send, submissions_periodic
from tests.blast.test_end_to_end import VALID, blast_calls, reviewed
from tests.send.helpers import text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _send_at_once():
    """Here tasks wait in the queue, as they do for a real consumer."""


def test_the_request_answers_at_once_and_the_task_sends_the_blast(
    sandbox, alice_client, tasks, settings
):
    location, form = reviewed(alice_client)
    response = alice_client.post(location, form)
    submission = Submission.objects.get()
    assert response["Location"] == f"/faxes/submissions/{submission.key}/"
    assert submission.state == Submission.State.QUEUED and blast_calls(sandbox) == 0
    page = alice_client.get(response["Location"])
    assert "Waiting to be sent" in text(page) and 'hx-trigger="every 2s"' in page.content.decode()
    assert tasks.names() == ["submission_send"]
    assert list(Path(settings.FAX_DOCUMENTS_DIR).rglob("*.xlsx"))  # the clean workbook, kept

    tasks.run()
    submission.refresh_from_db()
    assert submission.state == Submission.State.DONE and blast_calls(sandbox) == 1
    assert sorted(Fax.objects.values_list("fax_number", flat=True)) == sorted(VALID)
    # The workbook held the recipients' numbers: gone once sent.
    assert not list(Path(settings.FAX_DOCUMENTS_DIR).rglob("*.xlsx"))


def test_the_send_task_run_twice_sends_once(sandbox, alice_client, tasks):
    location, form = reviewed(alice_client)
    alice_client.post(location, form)
    submission = Submission.objects.get()
    submission_send.call_local(submission.pk)
    submission_send.call_local(submission.pk)  # the queue's copy, or another consumer's
    assert blast_calls(sandbox) == 1
    tasks.run()
    assert blast_calls(sandbox) == 1


def test_a_send_whose_task_was_lost_is_enqueued_again_and_sent_once(sandbox, alice_client, tasks):
    location, form = reviewed(alice_client)
    alice_client.post(location, form)
    tasks.huey.flush()  # the consumer that took the task died before running it
    Submission.objects.update(created_at=Submission.objects.get().created_at - timedelta(minutes=2))
    submissions_periodic.call_local()
    assert tasks.names() == ["submission_send"]
    tasks.run()
    submissions_periodic.call_local()  # sent now: nothing more is enqueued
    assert not tasks.names()
    assert blast_calls(sandbox) == 1
    assert Submission.objects.get().state == Submission.State.DONE


def test_a_long_answer_is_recorded_in_parts_and_the_page_shows_how_far(
    sandbox, alice_client, tasks, monkeypatch
):
    monkeypatch.setattr(submissions, "RECORD_CHUNK", 1)
    seen = []
    real = submissions.fax_merge_payloads

    def merge_and_look(*args, **kwargs):
        seen.append(Submission.objects.values_list("recorded", flat=True).get())
        return real(*args, **kwargs)

    monkeypatch.setattr(submissions, "fax_merge_payloads", merge_and_look)
    location, form = reviewed(alice_client)
    alice_client.post(location, form)
    tasks.run()
    submission = Submission.objects.get()
    assert seen == [0, 1, 2]
    assert submission.recorded == 3 and submission.summary["accepted"] == 3
