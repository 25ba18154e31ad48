"""The preview: rendered by Drenfax, kept briefly for its owner, shown inline; nothing sent."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from faxes.models import StagedFile, Submission
from tests.client.conftest import fields, files, multipart
from tests.conftest import API_URL
from tests.send.helpers import COVER_ID, PNG, form_data, pdf_bytes, post, text, upload

pytestmark = pytest.mark.django_db

RENDERED = pdf_bytes(3)


def preview_url(page: str) -> str:
    return re.search(r'<iframe class="pdf-frame" src="(/faxes/send/preview/[0-9a-f-]+/)"', page)[1]


def test_preview_renders_through_drenfax_and_shows_the_pdf_inline(alice_client, covers):
    covers.post(f"{API_URL}/v1/fax/preview", body=RENDERED, content_type="application/pdf")
    response = post(
        alice_client,
        action="preview",
        recipients="",  # not needed to preview
        cover_page=COVER_ID,
        subject="Lab results",
        notes="Please call",
        attachments=[upload("a.pdf", pdf_bytes()), upload("b.png", PNG)],
    )
    page = text(response)
    assert response.status_code == 200
    assert "Enter at least one fax number" not in page
    [call] = [c for c in covers.calls if c.request.method == "POST"]
    assert call.request.url == f"{API_URL}/v1/fax/preview"
    parts = multipart(call.request)
    assert dict(fields(parts)) == {
        "coverPage": "true",
        "coverPageId": COVER_ID,
        "subject": "Lab results",
        "notes": "Please call",
    }
    assert [(f[1], f[2]) for f in files(parts)] == [
        ("a.pdf", "application/pdf"),
        ("b.png", "image/png"),
    ]
    assert not Submission.objects.exists()

    pdf = alice_client.get(preview_url(page))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content) == RENDERED
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Cache-Control"] == "private, no-store"
    assert pdf["X-Frame-Options"] == "SAMEORIGIN"
    assert pdf["Content-Disposition"].startswith("inline")
    # The same form can then be sent: it still carries its unused key and its files.
    assert 'name="files"' in page and 'name="submission_key"' in page


def test_preview_answers_htmx_with_its_fragment_only(alice_client, covers):
    covers.post(f"{API_URL}/v1/fax/preview", body=RENDERED, content_type="application/pdf")
    response = alice_client.post(
        "/faxes/send/",
        form_data(action="preview", subject="Hi"),
        headers={"HX-Request": "true", "HX-Target": "preview"},
    )
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section id="preview"') and "<html" not in fragment
    assert "/faxes/send/preview/" in fragment
    assert response["Cache-Control"] == "private, no-store"


def test_a_preview_is_for_its_owner_only_and_only_for_an_hour(alice_client, bob_client, covers):
    covers.post(f"{API_URL}/v1/fax/preview", body=RENDERED, content_type="application/pdf")
    url = preview_url(text(post(alice_client, action="preview")))
    assert bob_client.get(url).status_code == 404
    StagedFile.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    assert alice_client.get(url).status_code == 404


def test_preview_shows_what_to_correct_without_calling_drenfax(alice_client, covers):
    response = alice_client.post(
        "/faxes/send/",
        {"action": "preview", "cover_page": "", "subject": "x" * 56},
        headers={"HX-Request": "true", "HX-Target": "preview"},
    )
    fragment = text(response)
    assert "Correct what is marked to see the preview." in fragment
    assert "Subject: At most 55 characters (this has 56)." in fragment
    assert "Documents: Add a file to send, or a cover page" in fragment
    assert [c for c in covers.calls if c.request.method == "POST"] == []


def test_a_preview_drenfax_refuses_is_explained(alice_client, covers):
    covers.post(
        f"{API_URL}/v1/fax/preview",
        status=400,
        json={"error": "InvalidInputError: unsupported document"},
    )
    page = text(post(alice_client, action="preview"))
    assert "Drenfax could not render the preview. unsupported document" in page


def test_an_anonymous_visitor_cannot_reach_any_send_url(client, api):
    for url in ["/faxes/send/", "/faxes/send/preview/c0ffee00-0000-4000-8000-000000000001/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for url in ["/faxes/send/", "/faxes/send/upload/", "/faxes/send/recipients/"]:
        response = client.post(url, {"recipients": "206 555 0111"})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert len(api.calls) == 0
