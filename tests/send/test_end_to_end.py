"""Sends against the sandbox: a timeout after the fax was created is never a second fax."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest

from drenfax_portal.api import get_client
from faxes.models import Fax, Submission
from faxes.services.submissions import reconcile_unknown_submissions
from tests.send.helpers import form_data

pytestmark = pytest.mark.django_db


def send_calls(sandbox) -> int:
    calls = sandbox.stats()["calls"]
    return calls.get("POST /v1/faxes", 0) + calls.get("POST /v1/faxes/multiple", 0)


def test_a_stall_after_create_is_unknown_then_reconciled_to_the_one_fax_that_exists(
    sandbox, settings, alice_client
):
    settings.DRENFAX_TIMEOUT = (2, 1)  # the read times out before the sandbox answers
    sandbox.add_fault(endpoint="POST /v1/faxes", fault="stall_after_create", stall_seconds=3)
    key = str(uuid.uuid4())
    data = form_data(submission_key=key, recipients="(206) 555-0123", subject="Stalled")

    response = alice_client.post("/faxes/send/", data)
    assert response.status_code == 302 and response["Location"] == f"/faxes/submissions/{key}/"
    submission = Submission.objects.get(key=key)
    assert submission.state == Submission.State.UNKNOWN
    assert "Outcome unknown" in alice_client.get(response["Location"]).content.decode()
    assert sandbox.stats()["faxes"]["total"] == 1

    # The same form again (a retry, a double click) calls nothing.
    alice_client.post("/faxes/send/", data)
    assert sandbox.stats()["faxes"]["total"] == 1

    with get_client() as client:
        assert reconcile_unknown_submissions(client=client) == 1
    submission.refresh_from_db()
    assert submission.state == Submission.State.DONE
    fax = Fax.objects.get(submission=submission)
    assert fax.fax_number == "+12065550123" and fax.sent_by == submission.user
    deadline = time.monotonic() + 10  # the stalled call is counted once it has answered
    while send_calls(sandbox) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sandbox.stats()["faxes"]["total"] == 1 and send_calls(sandbox) == 1


def test_a_send_that_never_reached_the_provider_settles_as_not_sent(
    sandbox, settings, alice_client
):
    sandbox.add_fault(endpoint="POST /v1/faxes", fault="503", count=1)
    key = str(uuid.uuid4())
    alice_client.post("/faxes/send/", form_data(submission_key=key, recipients="(206) 555-0123"))
    submission = Submission.objects.get(key=key)
    assert submission.state == Submission.State.UNKNOWN  # a 5xx may hide a created fax
    long_ago = submission.created_at - timedelta(minutes=30)
    Submission.objects.filter(pk=submission.pk).update(created_at=long_ago, started_at=long_ago)
    with get_client() as client:
        reconcile_unknown_submissions(client=client)
    submission.refresh_from_db()
    assert submission.state == Submission.State.NOT_SENT
    assert sandbox.stats()["faxes"]["total"] == 0


@pytest.fixture
def slow_sandbox(settings):
    """A sandbox whose sends answer after 3 s, with the portal's read timeout at 1 s."""
    from drenfax_portal.sandbox import start_sandbox

    with start_sandbox(strict=True, speed=50, send_latency=3) as running:
        settings.DRENFAX_API_URL = running.url
        settings.DRENFAX_API_KEY = running.api_key
        settings.DRENFAX_ACCOUNT_ID = running.account_id
        settings.DRENFAX_TIMEOUT = (2, 1)
        yield running


def test_a_provider_slower_than_the_read_timeout_never_gets_the_send_twice(
    slow_sandbox, alice_client
):
    key = str(uuid.uuid4())
    data = form_data(
        submission_key=key, recipients="(206) 555-0123, (206) 555-0124", subject="Slow day"
    )

    response = alice_client.post("/faxes/send/", data)
    assert response["Location"] == f"/faxes/submissions/{key}/"
    submission = Submission.objects.get(key=key)
    assert submission.state == Submission.State.UNKNOWN
    page = alice_client.get(response["Location"]).content.decode()
    assert "Outcome unknown" in page and "Slow day" in page  # what was typed is kept
    assert slow_sandbox.stats()["faxes"]["total"] == 2

    # A double click, a retry, the back button: the same key sends nothing.
    for _ in range(2):
        alice_client.post("/faxes/send/", data)
    assert slow_sandbox.stats()["faxes"]["total"] == 2

    with get_client() as client:
        assert reconcile_unknown_submissions(client=client) == 1
    submission.refresh_from_db()
    assert submission.state == Submission.State.DONE
    assert sorted(
        Fax.objects.filter(submission=submission).values_list("fax_number", flat=True)
    ) == [
        "+12065550123",
        "+12065550124",
    ]
    assert slow_sandbox.stats()["faxes"]["total"] == 2
