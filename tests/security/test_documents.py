"""Documents: checked by their bytes, capped, kept outside any URL, served privately, and
deleted after the retention period."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from drenfax_portal.audit.models import AuditEvent
from faxes.models import Fax, StagedFile, WebhookDelivery
from faxes.services.documents import open_document, write_document
from faxes.services.retention import documents_purge
from tests.factories import make_fax, make_number
from tests.send.helpers import pdf_bytes, upload

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def documents(settings, tmp_path) -> Path:
    settings.FAX_DOCUMENTS_DIR = tmp_path / "documents"
    return settings.FAX_DOCUMENTS_DIR


def stored_fax(alice, *, days_ago: float) -> Fax:
    make_number("+12065550100", alice)
    fax = make_fax(direction="outbound", status="success", faxCallerId="+12065550100")
    relative, _ = write_document([PDF])
    fetched = timezone.now() - timedelta(days=days_ago)
    Fax.objects.filter(pk=fax.pk).update(pdf_path=relative, pdf_fetched_at=fetched)
    fax.refresh_from_db()
    return fax


def test_documents_live_outside_every_static_and_media_url(documents):
    for root in (django_settings.STATIC_ROOT, *django_settings.STATICFILES_DIRS):
        assert not str(documents).startswith(str(root))
    relative, _ = write_document([PDF])
    name = Path(relative).name
    assert len(name) == len("0" * 32 + ".pdf")  # random, says nothing about the fax
    assert oct((documents / relative).stat().st_mode & 0o777) == "0o600"
    with pytest.raises(FileNotFoundError):
        open_document("../../etc/passwd")


def test_fax_pdfs_are_deleted_after_the_retention_period(alice, settings, documents):
    settings.DOCUMENT_RETENTION_DAYS = 30
    old = stored_fax(alice, days_ago=31)
    recent = stored_fax(alice, days_ago=29)
    old_file = documents / old.pdf_path
    report = documents_purge()
    assert report.fax_pdfs == 1
    assert not old_file.exists() and (documents / recent.pdf_path).exists()
    old.refresh_from_db()
    assert old.pdf_path == "" and Fax.objects.get(pk=recent.pk).pdf_path
    event = AuditEvent.objects.get(action="documents.purged")
    assert event.details["fax_pdfs"] == 1


def test_a_purged_copy_is_fetched_again_when_the_fax_is_opened(alice_client, alice, api):
    from tests.conftest import API_URL

    fax = stored_fax(alice, days_ago=90)
    documents_purge()
    api.get(f"{API_URL}/v1/fax/{fax.message_id}/download", body=PDF, content_type="application/pdf")
    response = alice_client.get(f"/faxes/{fax.message_id}/pdf")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF


def test_webhook_pdfs_and_stray_documents_are_deleted_too(alice, settings, documents):
    settings.DOCUMENT_RETENTION_DAYS = 7
    relative, _ = write_document([PDF])
    delivery = WebhookDelivery.objects.create(attachment_path=relative)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        received_at=timezone.now() - timedelta(days=8)
    )
    stray_relative, _ = write_document([PDF])
    stray = documents / stray_relative
    past = time.time() - 8 * 86400
    os.utime(stray, (past, past))
    report = documents_purge()
    assert (report.webhook_pdfs, report.stray) == (1, 1)
    assert not (documents / relative).exists() and not stray.exists()
    assert WebhookDelivery.objects.get(pk=delivery.pk).attachment_path == ""


def test_retention_zero_keeps_fax_pdfs(alice, settings, documents):
    settings.DOCUMENT_RETENTION_DAYS = 0
    fax = stored_fax(alice, days_ago=3650)
    assert documents_purge().fax_pdfs == 0
    assert (documents / fax.pdf_path).exists()


def test_the_command_purges_pdfs_and_uploads(alice_client, alice, settings):
    settings.DOCUMENT_RETENTION_DAYS = 30
    stored_fax(alice, days_ago=40)
    alice_client.post("/faxes/send/upload/", {"attachments": [upload("a.pdf", pdf_bytes(1))]})
    StagedFile.objects.update(created_at=timezone.now() - timedelta(days=2))
    out = io.StringIO()
    call_command("purge_documents", stdout=out)
    assert "1 fax PDF(s)" in out.getvalue() and "1 upload(s)" in out.getvalue()
    assert not StagedFile.objects.exists()


def test_the_purge_task_runs_both_retention_purges(alice, api, settings):
    import re

    from faxes.tasks import purge_periodic
    from tests.conftest import API_URL

    settings.DOCUMENT_RETENTION_DAYS = 30
    settings.AUDIT_RETENTION_DAYS = 30
    fax = stored_fax(alice, days_ago=40)
    AuditEvent.objects.create(action="fax.viewed", at=timezone.now() - timedelta(days=31))
    api.get(re.compile(rf"{API_URL}/.*"), status=500, json={"error": "down"})
    purge_periodic.call_local()
    assert Fax.objects.get(pk=fax.pk).pdf_path == ""
    assert not AuditEvent.objects.filter(action="fax.viewed").exists()


# --- caps ---------------------------------------------------------------------------------------


def test_a_file_with_more_pages_than_a_send_holds_is_refused(alice_client, settings):
    settings.SEND_MAX_PAGES = 3
    response = alice_client.post(
        "/faxes/send/upload/", {"attachments": [upload("long.pdf", pdf_bytes(4))]}
    )
    assert "it has 4 pages; a send holds at most 3" in response.content.decode()
    assert not StagedFile.objects.exists()


def test_files_together_over_the_page_cap_are_not_sent(alice_client, api, settings):
    from tests.conftest import API_URL
    from tests.send.helpers import form_data

    settings.SEND_MAX_PAGES = 3
    api.get(f"{API_URL}/v1/coverpages", json=[])
    for _ in range(2):
        alice_client.post("/faxes/send/upload/", {"attachments": [upload("a.pdf", pdf_bytes(2))]})
    tokens = [str(t) for t in StagedFile.objects.values_list("token", flat=True)]
    response = alice_client.post("/faxes/send/", form_data(files=tokens))
    assert "The files have 4 pages; at most 3 per send" in response.content.decode()
    assert not [c for c in api.calls if c.request.method == "POST"]


def test_a_file_is_judged_by_its_bytes_not_its_name(alice_client):
    response = alice_client.post(
        "/faxes/send/upload/",
        {"attachments": [upload("invoice.pdf", b"\x7fELF\x02\x01\x01" + bytes(200))]},
    )
    assert "cannot be faxed" in response.content.decode()
    assert not StagedFile.objects.exists()
