"""A reviewed list is sent once: Back, a second confirm, or a confirm after its retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from faxes.models import StagedFile, Submission
from faxes.services.uploads import staged_files_purge
from tests.blast.test_views import blast_answer, blast_calls, review_form, upload_list
from tests.conftest import API_URL
from tests.send.helpers import text

pytestmark = pytest.mark.django_db


def test_the_review_page_of_a_list_already_sent_says_so(alice_client, covers):
    covers.post(f"{API_URL}/v1/fax/blast", json=blast_answer(["+12065550123", "+12065550124"]))
    location = upload_list(alice_client)
    form = review_form(text(alice_client.get(location)))
    alice_client.post(location, {**form, "action": "send", "cover_page": "default"})
    submission = Submission.objects.get()

    # The Back button: the review page is no-store, so the browser fetches it again.
    page = text(alice_client.get(location))
    again = review_form(page)
    assert again["submission_key"] != form["submission_key"]  # a brand-new one-time key
    assert f"/faxes/submissions/{submission.key}/" in page, "no sign it was sent already"


def test_back_and_confirm_after_a_lost_answer_blasts_the_list_again(alice_client, covers):
    # Drenfax answers 502: it may well have created the faxes; the result page says the
    # portal is checking and will not send it again.
    covers.post(f"{API_URL}/v1/fax/blast", status=502, body="Bad gateway")
    location = upload_list(alice_client)
    form = review_form(text(alice_client.get(location)))
    response = alice_client.post(location, {**form, "action": "send", "cover_page": "default"})
    assert Submission.objects.get().state == Submission.State.UNKNOWN
    assert "will <strong>not</strong> send it again" in text(alice_client.get(response["Location"]))

    again = review_form(text(alice_client.get(location)))  # Back, then the same button
    alice_client.post(location, {**again, "action": "send", "cover_page": "default"})
    assert len(blast_calls(covers)) == 1, "the list went to Drenfax a second time"


def test_confirming_a_list_past_its_retention_says_why_and_leads_back(alice_client, covers):
    location = upload_list(alice_client)
    form = review_form(text(alice_client.get(location)))
    # The page stayed open overnight; the purge ran.
    StagedFile.objects.update(created_at=timezone.now() - timedelta(days=2))
    staged_files_purge()
    response = alice_client.post(
        location, {**form, "action": "send", "cover_page": "default"}, follow=True
    )
    # Today: a bare 404 page. _load's "The list is no longer kept (lists are deleted
    # after ...). Upload it again; nothing was sent." is never reached.
    assert response.status_code == 200
    assert "The list is no longer kept" in text(response)


def test_the_same_confirm_again_after_the_purge_shows_the_blast_it_sent(alice_client, covers):
    covers.post(f"{API_URL}/v1/fax/blast", json=blast_answer(["+12065550123", "+12065550124"]))
    location = upload_list(alice_client)
    data = {
        **review_form(text(alice_client.get(location))),
        "action": "send",
        "cover_page": "default",
    }
    first = alice_client.post(location, data)
    StagedFile.objects.update(created_at=timezone.now() - timedelta(days=2))
    staged_files_purge()
    # The browser resends the form (a reload of a timed-out POST, a retry): its key was used.
    again = alice_client.post(location, data)
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert Submission.objects.count() == 1
