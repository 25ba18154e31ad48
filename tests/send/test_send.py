"""Sending from the form: the exact request for one and for many recipients, and the result."""

from __future__ import annotations

import json
import uuid

import pytest

from drenfax_portal.accounts.models import Profile
from faxes.models import Fax, FaxEvent, Submission
from tests.client.conftest import fields, files, multipart
from tests.conftest import API_URL
from tests.factories import make_number
from tests.send.helpers import (
    COVER_ID,
    PNG,
    fax_answer,
    pdf_bytes,
    post,
    sent_once,
    text,
    upload,
)

pytestmark = pytest.mark.django_db


def test_the_form_states_its_limits_and_offers_only_the_users_numbers(
    alice_client, covers, alice_number, bob
):
    make_number("+13125550199", bob)
    page = text(alice_client.get("/faxes/send/"))
    assert 'name="submission_key"' in page
    assert "Up to 10 files, each at most 10.0 MB, together at most 25.0 MB" in page
    assert "PDF, TIFF, PNG, JPEG, Word (DOC, DOCX) or plain text" in page
    assert "(206) 555-0100" in page and "(312) 555-0199" not in page
    assert "Confidential" in page and "https://storage.example/coverpages/default.png" in page
    assert "javascript:" not in page  # a cover page's preview link must be a web address
    assert 'href="/faxes/send/" aria-current="page">Send</a>' in page
    assert page.count("/ 40</span>") == 2 and "/ 55</span>" in page and "/ 4000</span>" in page


def test_each_rendered_form_has_its_own_key(alice_client, covers):
    first = alice_client.get("/faxes/send/").content.decode()
    second = alice_client.get("/faxes/send/").content.decode()

    def key(page):
        return page.split('name="submission_key" value="')[1].split('"')[0]

    assert uuid.UUID(key(first)) != uuid.UUID(key(second))


def test_staff_may_send_from_any_active_number_of_the_account(staff_client, covers, bob):
    make_number("+13125550199", bob)
    make_number("+13125550188", state="pending")
    page = text(staff_client.get("/faxes/send/"))
    assert "(312) 555-0199" in page and "(312) 555-0188" not in page


def test_the_form_works_when_the_cover_page_list_cannot_be_loaded(alice_client, api):
    api.get(f"{API_URL}/coverpages", status=500, json={"error": "down"})
    page = text(alice_client.get("/faxes/send/"))
    assert "could not be listed" in page and "default cover page" in page


def test_one_recipient_goes_through_send_fax_with_every_field(
    alice_client, covers, alice, alice_number
):
    Profile.objects.update_or_create(user=alice, defaults={"timezone": "America/Chicago"})
    answer = fax_answer("+12065550111", faxCallerId="2065550100", subject="Lab results")
    covers.post(f"{API_URL}/v1/faxes", json=answer)
    first, second = pdf_bytes(2), PNG
    response = post(
        alice_client,
        recipients="206-555-0111",
        cover_page=COVER_ID,
        recipient_name="Dr. Patel",
        sender_name="Front desk",
        subject="Lab results",
        notes="Line one\r\nLine two",
        caller_id=str(alice_number.uuid),
        tags="urgent, lab, urgent",
        cf_key=["chart", ""],
        cf_value=["A-778", ""],
        scheduled_at="2099-01-15T09:30",
        attachments=[upload("results.pdf", first), upload("scan.png", PNG)],
    )
    submission = Submission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/faxes/submissions/{submission.key}/"

    [call] = sent_once(covers)
    assert call.request.url == f"{API_URL}/v1/faxes"
    parts = multipart(call.request)
    sent = dict(fields(parts))
    assert json.loads(sent.pop("cf")) == {"chart": "A-778"}
    assert sent == {
        "faxNumber": "+12065550111",
        "tags": "urgent,lab",
        "coverPage": "true",
        "coverPageId": COVER_ID,
        "recipientName": "Dr. Patel",
        "senderName": "Front desk",
        "subject": "Lab results",
        "callerId": "2065550100",
        "notes": "Line one\nLine two",
        "scheduledDate": "2099-01-15T15:30:00.000Z",  # 09:30 in Chicago, in UTC
    }
    assert files(parts) == [
        ("attachments", "results.pdf", "application/pdf", first),
        ("attachments", "scan.png", "image/png", second),
    ]

    fax = Fax.objects.get(message_id=answer["messageId"])
    assert fax.sent_by == alice and fax.submission == submission and fax.number == alice_number
    assert fax.events.get().source == FaxEvent.Source.PORTAL
    assert submission.state == Submission.State.DONE
    assert submission.recipients == ["+12065550111"]


def test_several_recipients_make_one_send_multiple_call(alice_client, covers, alice):
    accepted = fax_answer("+12065550111")
    covers.post(
        f"{API_URL}/v1/faxes/multiple",
        json={
            "success": [accepted],
            "errors": [{"error": "Number is not a fax machine", "recipientFax": "+13125550122"}],
        },
    )
    response = post(
        alice_client,
        recipients="(206) 555-0111\n312-555-0122",
        attachments=[upload("a.pdf", pdf_bytes())],
        cover_page="",
    )
    [call] = sent_once(covers)
    assert call.request.url == f"{API_URL}/v1/faxes/multiple"
    parts = multipart(call.request)
    assert dict(fields(parts))["recipientFax"] == "+12065550111,+13125550122"
    assert "coverPage" in dict(fields(parts)) and dict(fields(parts))["coverPage"] == "false"
    assert [f[1] for f in files(parts)] == ["a.pdf"]

    result = alice_client.get(response["Location"]).content.decode()
    assert f'href="/faxes/{accepted["messageId"]}/"' in result
    assert "Refused" in result and "Number is not a fax machine" in result
    assert "a.pdf" in result and "Send again to the refused numbers" in result
    fax = Fax.objects.get(message_id=accepted["messageId"])
    assert fax.sent_by == alice
    history = alice_client.get("/faxes/").content.decode()
    assert f'href="/faxes/{accepted["messageId"]}/"' in history


def test_contacts_with_one_number_go_through_send_multiple(alice_client, covers):
    contact = str(uuid.uuid4())
    covers.post(f"{API_URL}/v1/faxes/multiple", json={"success": [fax_answer()], "errors": []})
    post(alice_client, recipient_contacts=f"{contact.upper()}, {contact}")
    [call] = sent_once(covers)
    sent = dict(fields(multipart(call.request)))
    assert sent["recipientContacts"] == contact and sent["recipientFax"] == "+12065550111"


def test_a_cover_page_alone_is_a_valid_fax(alice_client, covers):
    covers.post(f"{API_URL}/v1/faxes", json=fax_answer())
    response = post(alice_client, cover_page="default", subject="Hello")
    assert response.status_code == 302
    [call] = sent_once(covers)
    parts = multipart(call.request)
    assert files(parts) == []
    sent = dict(fields(parts))
    assert sent["coverPage"] == "true" and "coverPageId" not in sent


def test_the_result_page_says_what_was_sent(alice_client, covers, alice):
    Profile.objects.update_or_create(user=alice, defaults={"timezone": "Europe/Paris"})
    covers.post(f"{API_URL}/v1/faxes", json=fax_answer(status="scheduled"))
    response = post(
        alice_client,
        subject="Referral",
        scheduled_at="2099-06-01T08:00",
        tags="cardio",
        attachments=[upload("letter.pdf", pdf_bytes(3))],
    )
    page = text(alice_client.get(response["Location"]))
    for shown in ["Accepted by Drenfax", "letter.pdf", "3 pages", "Referral", "Default cover page"]:
        assert shown in page, shown
    assert "Jun 1, 2099 08:00" in page and "cardio" in page
    assert "Edit and send again" not in page  # nothing was refused
