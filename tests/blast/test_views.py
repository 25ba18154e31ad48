"""The blast pages: template, upload, review, preview, send (the API mocked), result."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from faxes.models import Fax, StagedFile, Submission
from faxes.services.uploads import staged_files_purge
from tests.blast.helpers import XLSX, read_back, upload, xlsx_bytes
from tests.client.conftest import multipart
from tests.conftest import API_URL
from tests.send.helpers import COVER_ID, fax_answer, pdf_bytes, text

pytestmark = pytest.mark.django_db

ROWS = [
    ["Name", "Fax Number"],
    ["Dr. Lee", "(206) 555-0123"],
    ["Billing", 2065550124],
    ["Dup", "+1 206 555 0123"],
    ["Bad", "123"],
]


def upload_list(client, rows=ROWS, name="clinics.xlsx"):
    response = client.post("/faxes/blast/", {"workbook": upload(xlsx_bytes(rows), name)})
    assert response.status_code == 302, text(response)
    return response["Location"]


def review_form(page: str) -> dict[str, str]:
    return {
        "submission_key": re.search(r'name="submission_key" value="([0-9a-f-]{36})"', page)[1],
        "digest": re.search(r'name="digest" value="([0-9a-f]+)"', page)[1],
    }


def blast_answer(numbers, errors=()):
    return {
        "success": [fax_answer(n, recipientName=None) for n in numbers],
        "errors": [{"recipientFax": n, "error": "InvalidInputError: refused"} for n in errors],
    }


def parts_of(request) -> dict:
    """A multipart request's fields: text, or (file name, bytes) for files."""
    return {p.name: (p.filename, p.data) if p.filename else p.text for p in multipart(request)}


def blast_calls(api) -> list:
    return [c for c in api.calls if c.request.url.endswith("/v1/fax/blast")]


# --- template and upload ---------------------------------------------------------------------


def test_the_upload_page_explains_the_columns_limits_and_the_missing_documents(alice_client):
    page = text(alice_client.get("/faxes/blast/"))
    assert "Download the template (.xlsx)" in page and "/faxes/blast/template.xlsx" in page
    assert "At most 10,000 rows and 10.0 MB per file" in page
    assert "it cannot attach documents" in page
    assert 'aria-current="page">Blast</a>' in page


def test_the_template_downloads_as_an_xlsx(alice_client):
    response = alice_client.get("/faxes/blast/template.xlsx")
    assert response["Content-Type"] == XLSX
    assert 'filename="fax-blast-recipients.xlsx"' in response["Content-Disposition"]
    assert read_back(response.content)[:2] == [
        ("Fax Number", "Recipient Name"),
        ("(206) 555-0100", "Example Clinic (delete this row)"),
    ]


def test_pages_need_a_signed_in_user(client):
    for url in ["/faxes/blast/", "/faxes/blast/template.xlsx", f"/faxes/blast/{uuid.uuid4()}/"]:
        assert client.get(url)["Location"].startswith("/accounts/login/")


def test_an_upload_is_kept_for_its_owner_and_reviewed(alice_client, alice, covers):
    location = upload_list(alice_client)
    staged = StagedFile.objects.get()
    assert location == f"/faxes/blast/{staged.token}/"
    assert (staged.user, staged.kind, staged.filename) == (alice, "list", "clinics.xlsx")
    page = text(alice_client.get(location))
    assert "2 recipients</strong> will receive the fax" in page
    assert "2 rows left out</strong> (1 bad number, 1 duplicate)" in page
    assert "“Fax Number” (column B)" in page and "“Name” (column A)" in page
    assert "(206) 555-0123" in page and "+12065550124" in page
    assert "the same number as row 2" in page and "wrong number of digits" in page
    assert "Send the blast to 2 recipients" in page
    assert "it cannot attach documents" in page
    assert len(blast_calls(covers)) == 0


def test_another_users_list_is_not_found(alice_client, bob_client, covers):
    location = upload_list(alice_client)
    assert bob_client.get(location).status_code == 404
    assert bob_client.get(location + "recipients.xlsx").status_code == 404
    assert bob_client.post(location, {"action": "send"}).status_code == 404


def test_recipients_are_paged(alice_client, covers):
    rows = [["Fax"]] + [[f"206555{i:04d}"] for i in range(1000, 1250)]
    location = upload_list(alice_client, rows)
    first = text(alice_client.get(location))
    assert "Recipients 1\u2013100 of 250" in first and "(206) 555-1000" in first
    assert "(206) 555-1100" not in first
    third = alice_client.get(
        location + "?page=3", headers={"HX-Request": "true", "HX-Target": "recipients"}
    )
    page = text(third)
    assert page.lstrip().startswith('<section id="recipients"')
    assert "Recipients 201\u2013250 of 250" in page and "(206) 555-1249" in page


def test_the_list_as_it_will_be_sent_downloads(alice_client, covers):
    location = upload_list(alice_client)
    response = alice_client.get(location + "recipients.xlsx")
    assert 'filename="clinics-to-send.xlsx"' in response["Content-Disposition"]
    assert read_back(response.content) == [
        ("Fax Number", "Recipient Name"),
        ("+12065550123", "Dr. Lee"),
        ("+12065550124", "Billing"),
    ]


def test_a_list_read_again_after_the_cache_gives_the_same_review(alice_client, covers):
    from django.core.cache import cache

    location = upload_list(alice_client)
    before = review_form(text(alice_client.get(location)))["digest"]
    cache.clear()
    assert review_form(text(alice_client.get(location)))["digest"] == before


def test_a_list_past_its_retention_is_gone_and_purged(alice_client, covers):
    location = upload_list(alice_client)
    StagedFile.objects.update(created_at=timezone.now() - timedelta(days=2))
    assert alice_client.get(location).status_code == 404  # past its retention period
    StagedFile.objects.update(created_at=timezone.now())
    staged_files_purge(now=timezone.now() + timedelta(days=2))
    assert not StagedFile.objects.exists()


def test_a_list_whose_file_is_gone_asks_for_it_again(alice_client, covers):
    from django.core.cache import cache

    from faxes.services.documents import delete_document

    location = upload_list(alice_client)
    delete_document(StagedFile.objects.get().path)
    cache.clear()
    response = alice_client.get(location, follow=True)
    assert "The list is no longer kept" in text(response)
    assert response.redirect_chain[-1][0] == "/faxes/blast/"


# --- preview and send ------------------------------------------------------------------------


def test_a_preview_renders_the_first_recipients_cover_page(alice_client, covers):
    covers.post(f"{API_URL}/v1/fax/preview", body=pdf_bytes(1), content_type="application/pdf")
    location = upload_list(alice_client)
    response = alice_client.post(
        location, {"action": "preview", "cover_page": COVER_ID}, headers={"HX-Request": "true"}
    )
    page = text(response)
    assert page.lstrip().startswith('<section id="preview"')
    assert "for the first recipient (row 2, Dr. Lee)" in page
    preview = StagedFile.objects.get(kind=StagedFile.Kind.PREVIEW)
    assert f"/faxes/send/preview/{preview.token}/" in page
    fields = parts_of(covers.calls[-1].request)
    assert fields["coverPage"] == "true" and fields["coverPageId"] == COVER_ID
    assert fields["recipientName"] == "Dr. Lee"
    assert len(blast_calls(covers)) == 0


def test_sending_posts_one_clean_file_and_shows_each_recipients_fax(alice_client, alice, covers):
    covers.post(f"{API_URL}/v1/fax/blast", json=blast_answer(["+12065550123", "+12065550124"]))
    location = upload_list(alice_client)
    form = review_form(text(alice_client.get(location)))
    response = alice_client.post(location, {**form, "action": "send", "cover_page": "default"})
    submission = Submission.objects.get()
    assert response["Location"] == f"/faxes/submissions/{submission.key}/"
    assert (submission.kind, submission.state, submission.user) == ("blast", "done", alice)
    assert submission.recipients == ["+12065550123", "+12065550124"]
    [call] = blast_calls(covers)
    parts = parts_of(call.request)
    assert parts["coverPage"] == "true" and "coverPageId" not in parts
    filename, content = parts["recipient"]
    assert filename == "recipients.xlsx"
    assert read_back(content) == [
        ("Fax Number", "Recipient Name"),
        ("+12065550123", "Dr. Lee"),
        ("+12065550124", "Billing"),
    ]
    faxes = Fax.objects.filter(submission=submission)
    assert faxes.count() == 2 and set(faxes.values_list("sent_by", flat=True)) == {alice.pk}
    page = text(alice_client.get(response["Location"]))
    assert "Blast of" in page and "Accepted by Drenfax" in page
    assert "clinics.xlsx (sheet “Recipients”)" in page
    assert "2, in one clean file the portal wrote; 2 rows left out before sending" in page
    assert "Default cover page (a blast carries no documents)" in page
    assert page.count("open the fax") == 2


def test_a_chosen_cover_page_is_sent_by_its_id(alice_client, covers):
    covers.post(f"{API_URL}/v1/fax/blast", json=blast_answer(["+12065550123"]))
    location = upload_list(alice_client)
    form = review_form(text(alice_client.get(location)))
    alice_client.post(location, {**form, "action": "send", "cover_page": COVER_ID})
    parts = parts_of(blast_calls(covers)[0].request)
    assert parts["coverPageId"] == COVER_ID and parts["coverPage"] == "true"
    assert Submission.objects.get().summary["cover_page"] == "Confidential"


@pytest.mark.parametrize("cover", ["", "not-a-page"])
def test_a_blast_needs_an_available_cover_page(alice_client, covers, cover):
    location = upload_list(alice_client)
    form = review_form(text(alice_client.get(location)))
    page = text(alice_client.post(location, {**form, "action": "send", "cover_page": cover}))
    assert "Nothing was sent: choose a cover page." in page
    assert len(blast_calls(covers)) == 0 and not Submission.objects.exists()


def test_the_same_key_twice_sends_once(alice_client, covers):
    covers.post(f"{API_URL}/v1/fax/blast", json=blast_answer(["+12065550123", "+12065550124"]))
    location = upload_list(alice_client)
    data = {
        **review_form(text(alice_client.get(location))),
        "action": "send",
        "cover_page": "default",
    }
    first = alice_client.post(location, data)
    second = alice_client.post(location, data, follow=True)
    assert second.redirect_chain[0][0] == first["Location"]
    assert "This blast was sent already" in text(second)
    assert len(blast_calls(covers)) == 1 and Submission.objects.count() == 1
    from drenfax_portal.audit.models import AuditEvent

    [event] = AuditEvent.objects.filter(action="blast.sent")  # once, for the one send
    assert event.outcome == "success" and event.details == {"recipients": 2}


def test_a_list_that_reads_differently_than_shown_is_not_sent(alice_client, covers):
    location = upload_list(alice_client)
    form = review_form(text(alice_client.get(location)))
    form["digest"] = "0" * 32
    page = text(alice_client.post(location, {**form, "action": "send", "cover_page": "default"}))
    assert "reads differently now than when it was shown to you, so nothing was sent" in page
    assert len(blast_calls(covers)) == 0 and not Submission.objects.exists()


def test_an_expired_form_sends_nothing(alice_client, covers):
    location = upload_list(alice_client)
    form = review_form(text(alice_client.get(location)))
    del form["submission_key"]
    page = text(alice_client.post(location, {**form, "action": "send", "cover_page": "default"}))
    assert "The form had expired, so nothing was sent." in page
    assert len(blast_calls(covers)) == 0


def test_a_list_without_usable_rows_offers_no_send(alice_client, covers):
    location = upload_list(alice_client, [["Fax", "Name"], ["123", "Bad"], ["n/a", "Worse"]])
    page = text(alice_client.get(location))
    assert "0 recipients</strong>" in page and "Send the blast" not in page
    form = review_form(page)
    page = text(alice_client.post(location, {**form, "action": "send", "cover_page": "default"}))
    assert "Nothing was sent: no row of the list has a fax number to use." in page
    assert len(blast_calls(covers)) == 0


def test_a_refused_blast_says_so_and_leads_back_to_the_review_with_a_new_key(alice_client, covers):
    covers.post(
        f"{API_URL}/v1/fax/blast",
        status=400,
        json={"error": "InvalidInputError: at most 5000 recipients per blast", "status": 400},
    )
    location = upload_list(alice_client)
    form = review_form(text(alice_client.get(location)))
    response = alice_client.post(
        location, {**form, "action": "send", "cover_page": "default"}, follow=True
    )
    page = text(response)
    assert "Nothing was sent: at most 5000 recipients per blast" in page
    assert Submission.objects.get().state == Submission.State.FAILED
    assert f'href="{location}"' in response.content.decode()
    again = review_form(text(alice_client.get(location)))
    assert again["submission_key"] != form["submission_key"]


def test_recipients_drenfax_refuses_are_shown_with_the_error(alice_client, covers):
    covers.post(
        f"{API_URL}/v1/fax/blast",
        json=blast_answer(["+12065550123"], errors=["+12065550124"]),
    )
    location = upload_list(alice_client)
    form = review_form(text(alice_client.get(location)))
    response = alice_client.post(location, {**form, "action": "send", "cover_page": "default"})
    page = text(alice_client.get(response["Location"]))
    assert "1 accepted, 1 refused by Drenfax." in page
    assert "Refused</span> InvalidInputError: refused" in page


def test_the_result_page_pages_long_blasts(alice_client, alice, covers):
    results = [{"recipient": f"+1206555{i:04d}", "error": "refused"} for i in range(600)]
    submission = Submission.objects.create(
        key=uuid.uuid4(), user=alice, kind="blast", state="done", results=results
    )
    page = text(alice_client.get(f"/faxes/submissions/{submission.key}/?page=3"))
    assert "Recipients 501\u2013600 of 600" in page and page.count("badge-failed") == 100


# --- documents through the send form instead -------------------------------------------------


def test_a_short_list_can_fill_in_the_send_form(alice_client, covers):
    location = upload_list(alice_client)
    token = location.split("/")[-2]
    page = text(alice_client.get(location))
    assert f"/faxes/send/?blast={token}" in page
    form = text(alice_client.get(f"/faxes/send/?blast={token}"))
    assert "The 2 numbers of clinics.xlsx are filled in; add the documents." in form
    assert "+12065550123\n+12065550124</textarea>" in form


def test_the_send_form_does_not_take_someone_elses_list(alice_client, bob_client, covers):
    token = upload_list(alice_client).split("/")[-2]
    assert bob_client.get(f"/faxes/send/?blast={token}").status_code == 404
    assert bob_client.get("/faxes/send/?blast=nonsense").status_code == 404
