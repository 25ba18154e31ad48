"""Files on the send form: types by their bytes, size caps, keeping them for a retry, purging."""

from __future__ import annotations

import os
import re
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from faxes.models import StagedFile, Submission
from faxes.services.uploads import PREVIEW_TTL, inspect_file, staged_files_purge
from faxes.tasks import purge_periodic
from tests.client.conftest import files, multipart
from tests.conftest import API_URL
from tests.send.helpers import (
    EXE,
    JPEG,
    PNG,
    doc_bytes,
    docx_bytes,
    encrypted_pdf_bytes,
    fax_answer,
    pdf_bytes,
    post,
    sent_once,
    text,
    tiff_bytes,
    upload,
    xls_bytes,
    zip_bytes,
)

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def tokens(page: str) -> list[str]:
    return re.findall(r'name="files" value="([0-9a-f-]{36})"', page)


def stored_uploads() -> list[Path]:
    root = Path(settings.FAX_DOCUMENTS_DIR) / "uploads"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload_via_js(client, *chosen, kept=()):
    """What portal.js does when files are chosen: post them, with the files already listed."""
    return client.post(
        "/faxes/send/upload/",
        {"attachments": list(chosen), "files": list(kept)},
        headers={"X-Requested-With": "XMLHttpRequest"},
    )


# --- what a file is -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "file_type", "pages", "sent_as"),
    [
        ("report.pdf", pdf_bytes(3), "pdf", 3, ("report.pdf", "application/pdf")),
        ("scan.tif", tiff_bytes(2), "tiff", 2, ("scan.tif", "image/tiff")),
        ("photo.png", PNG, "png", 1, ("photo.png", "image/png")),
        ("photo.jpg", JPEG, "jpeg", 1, ("photo.jpg", "image/jpeg")),
        ("letter.doc", doc_bytes(), "doc", None, ("letter.doc", "application/msword")),
        (
            "letter.docx",
            docx_bytes(),
            "docx",
            None,
            (
                "letter.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
        ),
        ("notes.txt", "Résumé: ça va\n".encode(), "txt", None, ("notes.txt", "text/plain")),
        # The type comes from the bytes: a wrong or missing ending is corrected for Drenfax.
        ("scan", PNG, "png", 1, ("scan.png", "image/png")),
        ("picture.pdf", JPEG, "jpeg", 1, ("picture.pdf.jpg", "image/jpeg")),
    ],
)
def test_accepted_types_are_recognised_by_their_bytes(
    alice_client, alice, name, content, file_type, pages, sent_as
):
    response = upload_via_js(alice_client, upload(name, content, "application/x-whatever"))
    assert response.status_code == 200
    staged = StagedFile.objects.get()
    assert (staged.user, staged.file_type, staged.pages) == (alice, file_type, pages)
    assert (staged.filename, staged.content_type) == sent_as
    assert staged.size == len(content)
    fragment = text(response)
    assert f'name="files" value="{staged.token}"' in fragment
    assert (f"{pages} page" if pages else "pages counted by Drenfax") in fragment


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("invoice.pdf", EXE, "its content is not PDF, TIFF, PNG, JPEG, Word (DOC, DOCX)"),
        ("archive.docx", zip_bytes(), "it is a ZIP archive, not a Word document"),
        ("sheet.doc", xls_bytes(), "it is an Office file but not a Word document"),
        ("utf16.txt", "hello".encode("utf-16"), "its content is not PDF"),
        ("latin1.txt", "caf\xe9".encode("latin-1"), "its content is not PDF"),
        ("empty.pdf", b"", "it is empty"),
        ("locked.pdf", encrypted_pdf_bytes(), "it is a password-protected (encrypted) PDF"),
        ("broken.pdf", pdf_bytes(2)[:300], "it is a damaged PDF that cannot be read"),
        ("junk.pdf", b"%PDF-1.7\nnot really a pdf\n", "it is a damaged PDF that cannot be read"),
    ],
)
def test_files_that_cannot_be_faxed_are_refused_with_the_reason(
    alice_client, name, content, reason
):
    page = text(upload_via_js(alice_client, upload(name, content, "application/pdf")))
    assert f"{name} was not added: {reason}" in page
    assert not StagedFile.objects.exists() and stored_uploads() == []


def test_an_exe_renamed_pdf_is_refused_on_send_and_nothing_goes_out(alice_client, covers):
    response = post(alice_client, attachments=[upload("records.pdf", EXE, "application/pdf")])
    page = text(response)
    assert "records.pdf was not added: its content is not PDF" in page
    assert sent_once(covers) == [] and not Submission.objects.exists()


def test_inspection_reads_any_seekable_file():
    from io import BytesIO

    assert inspect_file(BytesIO(pdf_bytes(4))).pages == 4
    assert inspect_file(BytesIO(tiff_bytes(5))).pages == 5


# --- size and count caps ----------------------------------------------------------------------


def test_a_30_mb_file_is_refused_with_a_message_and_never_stored(alice_client, covers):
    big = b"%PDF-1.4\n" + b"0" * (30 * MB)
    response = post(
        alice_client, subject="Scans", attachments=[upload("scans.pdf", big, "application/pdf")]
    )
    page = text(response)
    assert response.status_code == 200
    assert "scans.pdf was not added: it is larger than 10.0 MB, the limit per file." in page
    assert 'value="Scans"' in page  # the rest of the form is kept
    assert stored_uploads() == [] and not StagedFile.objects.exists()
    assert sent_once(covers) == [] and not Submission.objects.exists()


def test_the_send_size_cap_covers_the_files_already_listed(alice_client, settings):
    settings.SEND_MAX_FILE_MB = 1
    settings.SEND_MAX_TOTAL_MB = 1.5
    half = b"text " * (MB // 9)  # 0.56 MB of text
    first = text(upload_via_js(alice_client, upload("a.txt", half), upload("b.txt", half)))
    listed = tokens(first)
    assert len(listed) == 2
    page = text(upload_via_js(alice_client, upload("c.txt", half), kept=listed))
    assert "c.txt was not added: it would take this send over 1.5 MB, the limit" in page
    assert StagedFile.objects.count() == 2


def test_files_over_the_send_cap_in_one_request_are_not_even_stored(alice_client, settings):
    settings.SEND_MAX_FILE_MB = 1
    settings.SEND_MAX_TOTAL_MB = 1
    chunk = b"text " * (3 * MB // 20)  # 0.75 MB
    page = text(upload_via_js(alice_client, upload("a.txt", chunk), upload("b.txt", chunk)))
    assert "b.txt was not added: together with the other files it is over 1.0 MB" in page
    assert StagedFile.objects.count() == 1 and len(stored_uploads()) == 1


def test_a_send_holds_at_most_the_file_count_cap(alice_client, settings):
    settings.SEND_MAX_FILES = 2
    page = text(upload_via_js(alice_client, *(upload(f"{n}.png", PNG) for n in range(3))))
    assert "2.png was not added: more than 2 files were chosen for one send" in page
    assert StagedFile.objects.count() == 2


def test_an_upload_django_will_not_parse_gets_the_form_back(alice_client, covers, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    response = post(alice_client, attachments=[upload(f"{n}.png", PNG) for n in range(3)])
    assert response.status_code == 400
    assert "Too many files were chosen at once; nothing was sent." in text(response)
    assert 'name="submission_key"' in text(response)
    assert sent_once(covers) == []


# --- keeping files for the next post ----------------------------------------------------------


def test_files_are_kept_and_sent_later_without_uploading_again(alice_client, covers):
    first = text(post(alice_client, action="update", attachments=[upload("a.pdf", pdf_bytes())]))
    [token] = tokens(first)
    covers.post(f"{API_URL}/v1/faxes", json=fax_answer())
    response = post(alice_client, files=[token])
    assert response.status_code == 302
    [call] = sent_once(covers)
    assert files(multipart(call.request)) == [
        ("attachments", "a.pdf", "application/pdf", pdf_bytes())
    ]


def test_files_can_be_reordered_and_removed_without_javascript(alice_client, covers):
    page = text(
        post(
            alice_client,
            action="update",
            attachments=[upload(f"{n}.png", PNG) for n in "abc"],
        )
    )
    a, b, c = tokens(page)
    assert tokens(text(post(alice_client, action=f"up:{c}", files=[a, b, c]))) == [a, c, b]
    assert tokens(text(post(alice_client, action=f"down:{a}", files=[a, b, c]))) == [b, a, c]
    assert tokens(text(post(alice_client, action=f"up:{a}", files=[a, b, c]))) == [a, b, c]
    assert tokens(text(post(alice_client, action=f"remove:{b}", files=[a, b, c]))) == [a, c]
    assert sent_once(covers) == []


def test_files_are_sent_in_the_order_chosen(alice_client, covers):
    page = text(
        post(
            alice_client,
            action="update",
            attachments=[upload("one.pdf", pdf_bytes(1)), upload("two.pdf", pdf_bytes(2))],
        )
    )
    one, two = tokens(page)
    covers.post(f"{API_URL}/v1/faxes", json=fax_answer())
    post(alice_client, files=[two, one])
    [call] = sent_once(covers)
    assert [f[1] for f in files(multipart(call.request))] == ["two.pdf", "one.pdf"]


def test_someone_elses_file_cannot_be_sent(alice_client, bob_client, covers):
    [token] = tokens(text(post(alice_client, action="update", attachments=[upload("a.png", PNG)])))
    page = text(post(bob_client, files=[token]))
    assert "1 file of this form is no longer kept" in page
    assert sent_once(covers) == []


def test_custom_field_rows_can_be_added_and_removed_without_javascript(alice_client, covers):
    page = text(post(alice_client, action="add_field", cf_key=["a"], cf_value=["1"]))
    assert page.count('name="cf_key"') == 2
    page = text(post(alice_client, action="remove_field:0", cf_key=["a", "b"], cf_value=["1", "2"]))
    assert page.count('name="cf_key"') == 1 and 'value="b"' in page and 'value="a"' not in page


@pytest.mark.parametrize("target", ["\u00b2", "\u0661", "7", "x"])
def test_removing_a_custom_field_row_that_is_not_there_changes_nothing(
    alice_client, covers, target
):
    response = post(alice_client, action=f"remove_field:{target}", cf_key=["a"], cf_value=["1"])
    assert response.status_code == 200 and 'value="a"' in text(response)


# --- retention --------------------------------------------------------------------------------


def age(staged: StagedFile, delta: timedelta) -> None:
    StagedFile.objects.filter(pk=staged.pk).update(created_at=timezone.now() - delta)


def test_uploads_and_previews_are_purged_after_their_retention(alice_client, alice, settings):
    settings.UPLOAD_RETENTION_HOURS = 24
    upload_via_js(alice_client, upload("old.png", PNG), upload("new.png", PNG))
    old, new = StagedFile.objects.order_by("pk")
    age(old, timedelta(hours=25))
    from faxes.services.uploads import preview_store

    stale_preview = preview_store(user=alice, pdf=pdf_bytes())
    fresh_preview = preview_store(user=alice, pdf=pdf_bytes())
    age(stale_preview, PREVIEW_TTL + timedelta(minutes=1))
    documents = Path(settings.FAX_DOCUMENTS_DIR)
    stray = documents / "uploads" / "stray.upload"
    stray.write_bytes(b"left over by a crash")
    past = time.time() - 25 * 3600
    os.utime(stray, (past, past))

    report = staged_files_purge()
    assert (report.uploads, report.previews, report.orphans) == (1, 1, 1)
    assert set(StagedFile.objects.values_list("pk", flat=True)) == {new.pk, fresh_preview.pk}
    assert not (documents / old.path).exists() and (documents / new.path).exists()
    assert not (documents / stale_preview.path).exists() and not stray.exists()


def test_the_saved_form_of_an_old_send_is_forgotten_with_its_files(alice, settings):
    import uuid

    old = Submission.objects.create(
        key=uuid.uuid4(), user=alice, kind="send", summary={"subject": "x", "form": {"a": "b"}}
    )
    Submission.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    recent = Submission.objects.create(
        key=uuid.uuid4(), user=alice, kind="send", summary={"form": {"a": "b"}}
    )
    assert staged_files_purge().drafts == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.summary == {"subject": "x"} and "form" in recent.summary


def test_the_purge_command_reports_what_it_deleted(alice_client):
    upload_via_js(alice_client, upload("old.png", PNG))
    age(StagedFile.objects.get(), timedelta(days=3))
    out = StringIO()
    call_command("purge_documents", stdout=out)
    assert "1 upload(s), 0 preview(s)" in out.getvalue()
    assert not StagedFile.objects.exists()


def test_the_purge_task_runs_even_when_the_api_is_down(alice_client, api):
    upload_via_js(alice_client, upload("old.png", PNG))
    age(StagedFile.objects.get(), timedelta(days=3))
    api.get(re.compile(rf"{API_URL}/.*"), status=500, json={"error": "down"})
    purge_periodic.call_local()
    assert not StagedFile.objects.exists()


@pytest.mark.parametrize(
    ("setting", "value", "data", "message"),
    [
        ("DATA_UPLOAD_MAX_MEMORY_SIZE", 1000, {"notes": "n" * 2000}, "The text of the form was"),
        ("DATA_UPLOAD_MAX_NUMBER_FIELDS", 5, {}, "The form had too many fields"),
    ],
)
def test_other_bodies_django_refuses_get_a_message_too(
    alice_client, covers, settings, setting, value, data, message
):
    setattr(settings, setting, value)
    response = post(alice_client, attachments=[upload("a.png", PNG)], **data)
    assert response.status_code == 400
    assert message in text(response) and "nothing was sent." in text(response)
    assert sent_once(covers) == []


def test_the_upload_endpoint_explains_a_body_django_refuses(alice_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 1
    response = upload_via_js(alice_client, upload("a.png", PNG), upload("b.png", PNG))
    assert response.status_code == 400
    assert "Too many files were chosen at once; nothing was sent." in text(response)
    assert not StagedFile.objects.exists()
