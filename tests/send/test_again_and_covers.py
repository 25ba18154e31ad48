"""The send form shown again: only the refused numbers (never the contacts already faxed), the
cover page chosen while the list is down, a profile zone the zone data forgot."""

from __future__ import annotations

import re
import uuid

import pytest

from faxes.models import Submission
from tests.client.conftest import fields, multipart
from tests.conftest import API_URL
from tests.send.helpers import fax_answer, pdf_bytes, post, sent_once, text, upload

pytestmark = pytest.mark.django_db


def key_of(page: str) -> str:
    return re.search(r'name="submission_key" value="([0-9a-f-]{36})"', page)[1]


def test_sending_again_to_the_refused_numbers_does_not_send_to_the_contacts_again(
    alice_client, covers
):
    """A send to two numbers and a Drenfax contact: the contact and one number were
    accepted, the other number refused. "Send again to the refused numbers" must not fax
    the contact (who already got it) a second time."""
    contact = str(uuid.uuid4())
    covers.post(
        f"{API_URL}/v1/faxes/multiple",
        json={
            "success": [fax_answer("+12065550111"), fax_answer("+14155550133")],
            "errors": [{"error": "Number is not a fax machine", "recipientFax": "+13125550122"}],
        },
    )
    response = post(
        alice_client,
        recipients="(206) 555-0111\n312-555-0122",
        recipient_contacts=contact,
        attachments=[upload("a.pdf", pdf_bytes())],
    )
    submission = Submission.objects.get()
    assert submission.state == Submission.State.DONE
    result = text(alice_client.get(response["Location"]))
    assert "Send again to the refused numbers" in result

    page = text(alice_client.get(f"/faxes/send/?from={submission.key}"))
    # The form offered "to the refused numbers" holds only the refused number ...
    assert "+13125550122" in page
    # ... and the Drenfax contact, already faxed, must not be in it again.
    posted = re.search(r'name="recipient_contacts"[^>]*value="([^"]*)"', page)[1]
    # Pressing Send on that form as it is:
    covers.post(f"{API_URL}/v1/faxes", json=fax_answer("+13125550122"))
    post(
        alice_client,
        submission_key=key_of(page),
        recipients="+13125550122",
        recipient_contacts=posted,
        files=re.findall(r'name="files" value="([0-9a-f-]{36})"', page),
    )
    second = dict(fields(multipart(sent_once(covers)[1].request)))
    assert second["faxNumber"] == "+13125550122"  # one number: the one-destination send
    assert "recipientContacts" not in second, (
        f"the contact already faxed is faxed again: {second.get('recipientContacts')!r}"
    )


def test_a_chosen_cover_page_is_kept_when_the_cover_page_list_cannot_be_loaded(alice_client, api):
    """The user chose the "Confidential" cover page, then the form came back (a number to
    correct) while Drenfax's cover page list could not be loaded. The form accepts the
    chosen id (CoverPages.choice lets Drenfax judge it), but the page shown again has no
    input holding it: no radio is checked, so the corrected form posts no cover page and
    the fax goes out without the cover page the user chose."""
    from tests.send.helpers import COVER_ID

    api.get(f"{API_URL}/coverpages", status=503, json={"error": "down"})
    page = text(post(alice_client, recipients="12", cover_page=COVER_ID))
    assert "could not be listed" in page
    assert "Not fax numbers" in page  # the form came back to correct the number
    kept = re.search(rf'<input[^>]*name="cover_page"[^>]*value="{COVER_ID}"[^>]*>', page)
    assert kept is not None and ("checked" in kept[0] or 'type="hidden"' in kept[0]), (
        "the chosen cover page is not in the form any more"
    )


def test_a_profile_zone_no_longer_known_does_not_break_the_send_form(alice, alice_client, covers):
    """A zone saved in a profile that the installed tz database no longer knows (the
    middleware expects this: it falls back to the server's zone). The send form must not
    answer 500 for that user."""
    from drenfax_portal.accounts.models import Profile

    Profile.objects.update_or_create(user=alice, defaults={"timezone": "America/Chicago"})
    Profile.objects.filter(user=alice).update(timezone="Asia/Atlantis")  # as after a tzdata update
    alice_client.raise_request_exception = False
    response = alice_client.get("/faxes/send/")
    assert response.status_code == 200
