"""The fax detail page, its document, and the actions on it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests
from django.conf import settings

from faxes.models import Fax, FaxEvent, Submission
from tests.conftest import API_URL
from tests.factories import fax_payload, make_fax, make_number

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def fax(alice):
    make_number("+12065550100", alice)
    return make_fax(
        direction="outbound",
        status="failed",
        faxNumber="+14155550123",
        faxCallerId="+12065550100",
        subject="Lab results",
        errorInfo="Busy",
        resultCode="17",
        duration=86318,
        faxSpeed=14400,
        faxProtocol=34,
        faxECM=256,
        faxAttempt=2,
        cf={"chart": "A-778"},
        tags=["urgent"],
        recipientName="Dr. Patel",
    )


def url(fax, suffix=""):
    return f"/faxes/{fax.message_id}/{suffix}"


def test_detail_shows_every_field_in_human_form(alice_client, fax):
    body = alice_client.get(url(fax)).content.decode()
    for text in [
        "Fax to (415) 555-0123",
        "Failed",
        "Busy",
        "code 17",
        "Dr. Patel",
        "Lab results",
        "1 min 26 s",
        "14,400 bps",
        "34",
        "256",
        "chart",
        "A-778",
        "urgent",
        str(fax.message_id),
        "Timeline",
        "First seen",
    ]:
        assert text in body, text
    assert f'src="/faxes/{fax.message_id}/pdf"' in body


def test_an_open_fax_polls_its_status_and_a_finished_one_does_not(alice_client, fax):
    assert "every 3s" not in alice_client.get(url(fax)).content.decode()
    open_fax = make_fax(direction="outbound", status="processing", faxCallerId="+12065550100")
    page = alice_client.get(url(open_fax)).content.decode()
    assert 'id="fax-status"' in page and "every 3s" in page
    partial = alice_client.get(
        url(open_fax), headers={"HX-Request": "true", "HX-Target": "fax-status"}
    ).content.decode()
    assert partial.lstrip().startswith('<section id="fax-status"') and "<html" not in partial


def test_pdf_is_fetched_once_then_served_locally_with_private_headers(alice_client, api, fax):
    api.get(f"{API_URL}/v1/fax/{fax.message_id}/download", body=PDF, content_type="application/pdf")
    first = alice_client.get(url(fax, "pdf"))
    assert first.status_code == 200
    assert b"".join(first.streaming_content) == PDF
    assert first["Content-Type"] == "application/pdf"
    assert first["Cache-Control"] == "private, no-store"
    assert first["Content-Disposition"].startswith("inline")
    assert first["X-Frame-Options"] == "SAMEORIGIN"
    fax.refresh_from_db()
    stored = Path(settings.FAX_DOCUMENTS_DIR) / fax.pdf_path
    assert stored.read_bytes() == PDF
    assert not str(stored).startswith(str(settings.STATIC_ROOT))

    download = alice_client.get(url(fax, "pdf") + "?download=1")
    assert download["Content-Disposition"].startswith("attachment")
    assert f"fax-{fax.message_id}.pdf" in download["Content-Disposition"]
    assert len(api.calls) == 1  # the second view was served locally


def test_a_purged_document_says_so_without_calling_the_api(alice_client, api, fax):
    Fax.objects.filter(pk=fax.pk).update(is_file_purged=True)
    response = alice_client.get(url(fax, "pdf"))
    assert response.status_code == 404
    assert "purged" in response.content.decode()
    assert "purged" in alice_client.get(url(fax)).content.decode()
    assert len(api.calls) == 0


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500, "json": {"error": "boom"}},
        {"body": requests.ConnectionError("refused")},
        {"status": 200, "body": b"<html>not a pdf</html>", "content_type": "text/html"},
    ],
)
def test_a_failed_document_fetch_explains_and_stores_nothing(alice_client, api, fax, failure):
    api.get(f"{API_URL}/v1/fax/{fax.message_id}/download", **failure)
    response = alice_client.get(url(fax, "pdf"))
    assert response.status_code == 404
    assert "could not be fetched" in response.content.decode()
    fax.refresh_from_db()
    assert fax.pdf_path == ""


def test_archive_calls_the_api_then_updates_cache_and_timeline(alice_client, api, fax):
    api.patch(f"{API_URL}/v1/fax/{fax.message_id}", json={**fax.raw, "isArchived": True})
    response = alice_client.post(url(fax, "archive/"), {"archived": "1"}, follow=True)
    assert "Fax archived" in response.content.decode()
    assert api.calls[0].request.body == "isArchived=true"
    fax.refresh_from_db()
    assert fax.is_archived
    assert fax.events.filter(source="user", note="archived").exists()
    assert str(fax.message_id) not in alice_client.get("/faxes/").content.decode()

    api.patch(f"{API_URL}/v1/fax/{fax.message_id}", json={**fax.raw, "isArchived": False})
    alice_client.post(url(fax, "archive/"), {"archived": "0"})
    fax.refresh_from_db()
    assert not fax.is_archived


def test_archive_refused_changes_nothing(alice_client, api, fax):
    api.patch(f"{API_URL}/v1/fax/{fax.message_id}", status=403, json={"error": "not yours"})
    response = alice_client.post(url(fax, "archive/"), {"archived": "1"}, follow=True)
    assert "Nothing changed" in response.content.decode()
    fax.refresh_from_db()
    assert not fax.is_archived
    assert not fax.events.filter(source="user").exists()


def test_archive_answered_with_a_5xx_changes_nothing_here_and_says_it_may_be_done(
    alice_client, api, fax
):
    api.patch(f"{API_URL}/v1/fax/{fax.message_id}", status=503, json={"error": "down"})
    response = alice_client.post(url(fax, "archive/"), {"archived": "1"}, follow=True)
    page = response.content.decode()
    assert "Nothing changed" not in page  # Drenfax may have archived it before failing
    assert "problem on its side (error 503), and it may have been done anyway" in page
    fax.refresh_from_db()
    assert not fax.is_archived
    assert not fax.events.filter(source="user").exists()


def test_cancel_a_processing_fax(alice_client, api, alice):
    open_fax = make_fax(direction="outbound", status="processing", sent_by=alice)
    api.post(
        f"{API_URL}/v1/fax/{open_fax.message_id}/cancel",
        json={**open_fax.raw, "status": "cancelled"},
    )
    response = alice_client.post(url(open_fax, "cancel/"), follow=True)
    assert "Fax cancelled" in response.content.decode()
    assert api.calls[0].request.body in (None, b"", "")
    open_fax.refresh_from_db()
    assert open_fax.status == "cancelled"
    assert open_fax.events.filter(source="user", status="cancelled").count() == 2  # change + note


def test_a_finished_fax_cannot_be_cancelled(alice_client, api, fax):
    response = alice_client.post(url(fax, "cancel/"), follow=True)
    assert "Only scheduled or processing faxes can be cancelled" in response.content.decode()
    assert len(api.calls) == 0


def test_cancel_refused_by_the_api_changes_nothing(alice_client, api, alice):
    open_fax = make_fax(direction="outbound", status="processing", sent_by=alice)
    api.post(
        f"{API_URL}/v1/fax/{open_fax.message_id}/cancel",
        status=400,
        json={"error": "InvalidInputError: fax already transmitting"},
    )
    response = alice_client.post(url(open_fax, "cancel/"), follow=True)
    assert "fax already transmitting" in response.content.decode()
    open_fax.refresh_from_db()
    assert open_fax.status == "processing"


def test_delete_asks_first_naming_the_fax_then_deletes(alice_client, api, fax):
    confirm = alice_client.get(url(fax, "delete/")).content.decode()
    assert (
        "(415) 555-0123" in confirm and "Lab results" in confirm and "cannot be undone" in confirm
    )
    api.delete(f"{API_URL}/v1/fax/{fax.message_id}", body="OK")
    response = alice_client.post(url(fax, "delete/"), follow=True)
    assert "Fax deleted" in response.content.decode()
    assert alice_client.get(url(fax)).status_code == 404
    assert Fax.objects.get(pk=fax.pk).deleted_at is not None


def test_delete_failure_keeps_the_fax(alice_client, api, fax):
    api.delete(f"{API_URL}/v1/fax/{fax.message_id}", body=requests.ConnectTimeout())
    response = alice_client.post(url(fax, "delete/"), follow=True)
    assert "could not be reached" in response.content.decode()
    assert alice_client.get(url(fax)).status_code == 200


def resend_answer(**overrides):
    return {"success": [fax_payload(status="processing", **overrides)], "errors": []}


def test_resend_creates_a_new_fax_for_the_sender(alice_client, api, alice, fax):
    answer = resend_answer(faxNumber="+14155550123", faxCallerId="+12065550100")
    api.post(f"{API_URL}/v1/fax/resend", json=answer)
    key = str(uuid.uuid4())
    response = alice_client.post(url(fax, "resend/"), {"submission_key": key}, follow=True)
    assert response.status_code == 200
    assert "Accepted by Drenfax" in response.content.decode()
    assert api.calls[0].request.body == f"messageId={fax.message_id}"
    new = Fax.objects.get(message_id=answer["success"][0]["messageId"])
    assert new.sent_by == alice and new.submission.key == uuid.UUID(key)
    assert new.events.get().source == FaxEvent.Source.PORTAL


def test_resend_to_another_number_sends_it_normalised(alice_client, api, fax):
    api.post(f"{API_URL}/v1/fax/resend", json=resend_answer(faxNumber="+13125550111"))
    alice_client.post(
        url(fax, "resend/"),
        {"submission_key": str(uuid.uuid4()), "recipient": "(312) 555-0111"},
    )
    assert "recipientFax=%2B13125550111" in api.calls[0].request.body


def test_a_double_click_on_resend_sends_once(alice_client, api, fax):
    api.post(f"{API_URL}/v1/fax/resend", json=resend_answer())
    key = str(uuid.uuid4())
    first = alice_client.post(url(fax, "resend/"), {"submission_key": key})
    second = alice_client.post(url(fax, "resend/"), {"submission_key": key})
    assert first["Location"] == second["Location"] == f"/faxes/submissions/{key}/"
    assert len(api.calls) == 1
    assert Submission.objects.count() == 1


def test_resend_to_a_bad_number_sends_nothing(alice_client, api, fax):
    response = alice_client.post(
        url(fax, "resend/"), {"submission_key": str(uuid.uuid4()), "recipient": "12"}, follow=True
    )
    page = response.content.decode()
    assert "is not a valid fax number" in page
    assert 'value="12"' in page  # what was typed, to correct
    assert len(api.calls) == 0 and Submission.objects.count() == 0


def test_a_resend_that_times_out_is_unknown_and_not_repeated(alice_client, api, fax):
    api.post(f"{API_URL}/v1/fax/resend", body=requests.ReadTimeout())
    key = str(uuid.uuid4())
    response = alice_client.post(url(fax, "resend/"), {"submission_key": key}, follow=True)
    body = response.content.decode()
    assert "Outcome unknown" in body and "will <strong>not</strong> send it again" in body
    alice_client.post(url(fax, "resend/"), {"submission_key": key})
    assert len(api.calls) == 1
    assert Submission.objects.get().state == Submission.State.UNKNOWN


def test_an_inbound_fax_cannot_be_resent(alice_client, api, fax):
    inbound = make_fax(direction="inbound", faxNumber="+12065550100")
    response = alice_client.post(
        url(inbound, "resend/"), {"submission_key": str(uuid.uuid4())}, follow=True
    )
    assert "Only outbound faxes can be resent" in response.content.decode()
    assert len(api.calls) == 0


ACTIONS = [
    ("get", ""),
    ("get", "row/"),
    ("get", "pdf"),
    ("get", "delete/"),
    ("post", "archive/"),
    ("post", "cancel/"),
    ("post", "delete/"),
    ("post", "resend/"),
]


@pytest.mark.parametrize(("method", "suffix"), ACTIONS)
def test_another_members_fax_is_a_404_on_every_url(bob_client, api, fax, method, suffix):
    before = Fax.objects.values().get(pk=fax.pk)
    data = {"submission_key": str(uuid.uuid4()), "archived": "1"} if method == "post" else None
    response = getattr(bob_client, method)(url(fax, suffix), data, headers=htmx_for(suffix))
    assert response.status_code == 404
    assert len(api.calls) == 0
    assert Fax.objects.values().get(pk=fax.pk) == before
    assert not Submission.objects.exists()


@pytest.mark.parametrize(("method", "suffix"), ACTIONS)
def test_anonymous_visitors_are_sent_to_sign_in_on_every_fax_url(client, api, fax, method, suffix):
    response = getattr(client, method)(url(fax, suffix))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert len(api.calls) == 0


@pytest.mark.parametrize(("method", "suffix"), ACTIONS[:4])
def test_staff_reach_every_fax(staff_client, api, fax, method, suffix):
    api.get(f"{API_URL}/v1/fax/{fax.message_id}/download", body=PDF, content_type="application/pdf")
    response = getattr(staff_client, method)(url(fax, suffix), headers=htmx_for(suffix))
    assert response.status_code == 200


def htmx_for(suffix: str) -> dict[str, str]:
    # A history row is a fragment htmx polls: typed into the address bar it leads to the page.
    return {"HX-Request": "true"} if suffix == "row/" else {}


def test_a_rows_url_typed_into_the_address_bar_leads_to_the_faxs_page(
    alice_client, bob_client, fax
):
    response = alice_client.get(url(fax, "row/"))
    assert response.status_code == 302 and response["Location"] == url(fax)
    assert "HX-Request" in response["Vary"]
    assert bob_client.get(url(fax, "row/"), follow=True).status_code == 404


def test_someone_elses_submission_is_a_404_and_its_key_sends_nothing(
    alice_client, bob_client, api, fax, bob
):
    api.post(f"{API_URL}/v1/fax/resend", json=resend_answer())
    key = str(uuid.uuid4())
    alice_client.post(url(fax, "resend/"), {"submission_key": key})
    assert alice_client.get(f"/faxes/submissions/{key}/").status_code == 200
    assert bob_client.get(f"/faxes/submissions/{key}/").status_code == 404
    bobs_fax = make_fax(direction="outbound", sent_by=bob)
    assert bob_client.post(url(bobs_fax, "resend/"), {"submission_key": key}).status_code == 404
    assert len(api.calls) == 1


@pytest.mark.parametrize(
    ("caller_id", "csid", "sender"),
    [
        ("2065550100", "Northside Clinic", "Northside Clinic"),  # our own number echoed
        ("+12065550100", "", "Unknown sender"),
        ("", "", "Unknown sender"),
        ("7185550111", "", "(718) 555-0111"),
        ("7185550111", "Northside Clinic", "(718) 555-0111"),
    ],
)
def test_the_sender_of_an_inbound_fax_is_shown_as_well_as_it_is_known(
    alice, alice_client, caller_id, csid, sender
):
    make_number("+12065550100", alice)
    fax = make_fax(
        direction="inbound",
        status="success",
        faxNumber="+12065550100",
        faxCallerId=caller_id,
        faxCsid=csid,
    )
    assert fax.fax_caller_id in ("", "+17185550111")  # never our own number as the sender
    history = alice_client.get("/faxes/").content.decode()
    link = f'<a href="/faxes/{fax.message_id}/">{sender}</a>'
    assert link in history
    detail = alice_client.get(f"/faxes/{fax.message_id}/").content.decode()
    expected = "an unknown sender" if sender == "Unknown sender" else sender
    assert f"Fax from {expected}</h1>" in detail
