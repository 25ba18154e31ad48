"""A blast's confirm posted again after Drenfax refused it, and the Send form's link of a
list past its retention."""

from __future__ import annotations

import pytest

from faxes.models import Submission
from tests.blast.test_views import blast_calls, review_form, upload_list
from tests.conftest import API_URL
from tests.send.helpers import text

pytestmark = pytest.mark.django_db


def test_a_retried_confirm_of_a_refused_blast_does_not_say_it_was_sent(alice_client, covers):
    """Drenfax refused the blast: nothing went out, and the list may be confirmed again from
    its review page. The same confirm posted again (a retried request, a second click
    without JavaScript) must not claim the blast "was sent already" nor ask for a new
    upload."""
    covers.post(
        f"{API_URL}/v1/fax/blast",
        status=400,
        json={"error": "InvalidInputError: cover page not found", "status": 400},
    )
    location = upload_list(alice_client)
    data = {
        **review_form(text(alice_client.get(location))),
        "action": "send",
        "cover_page": "default",
    }
    alice_client.post(location, data)
    assert Submission.objects.get().state == Submission.State.FAILED

    again = alice_client.post(location, data, follow=True)
    page = text(again)
    assert len(blast_calls(covers)) == 1
    assert "Nothing was sent" in page  # what the result page says
    assert "This blast was sent already" not in page, "the message says it was sent"
    assert "upload it again" not in page
    assert "This form was used already, and nothing was sent then" in page


def test_the_send_form_link_of_a_list_past_its_retention_says_why(alice_client, covers):
    """The review page offers "these numbers fit on the Send form" (?blast=<list>). Followed
    after the list's retention (the page stayed open overnight), _form_from_blast means to
    say "could not be filled in (... lists are kept for 1 day)" and show the form; instead
    staged_list_for_user's retention filter answers a bare 404."""
    from datetime import timedelta

    from django.utils import timezone

    from faxes.models import StagedFile
    from faxes.services.uploads import staged_files_purge

    location = upload_list(alice_client)
    token = location.rstrip("/").rsplit("/", 1)[1]
    assert f"/faxes/send/?blast={token}" in text(alice_client.get(location))
    StagedFile.objects.update(created_at=timezone.now() - timedelta(days=2))
    staged_files_purge()

    response = alice_client.get(f"/faxes/send/?blast={token}", follow=True)
    assert response.status_code == 200, "a bare 404 page, no word on why"
    assert "is no longer kept" in text(response) and "could not be filled in" in text(response)
