"""Local copies of fax documents are deleted after DOCUMENT_RETENTION_DAYS.

The fax then forgets the path; opening it later fetches the document from Drenfax again.
`documents_purge` also runs the uploads' shorter purge
(`faxes.services.uploads.staged_files_purge`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from drenfax_portal.audit.services import audit_record
from faxes.models import Fax, WebhookDelivery
from faxes.services.documents import delete_document, delete_stray_files, documents_dir
from faxes.services.uploads import PREVIEWS_FOLDER, UPLOADS_FOLDER, PurgeReport, staged_files_purge


@dataclass
class DocumentsPurgeReport:
    fax_pdfs: int = 0
    webhook_pdfs: int = 0
    stray: int = 0
    uploads: PurgeReport | None = None

    def __str__(self) -> str:
        return (
            f"{self.fax_pdfs} fax PDF(s), {self.webhook_pdfs} webhook PDF(s) and "
            f"{self.stray} stray file(s) deleted; uploads: {self.uploads}"
        )


def documents_purge(*, now: datetime | None = None) -> DocumentsPurgeReport:
    """Delete fax PDFs and webhook PDFs stored longer than the retention period, and the send
    form's uploads and previews past theirs. Idempotent; the sync worker runs it."""
    now = now or timezone.now()
    report = DocumentsPurgeReport(uploads=staged_files_purge(now=now))
    if not settings.DOCUMENT_RETENTION_DAYS:
        return report
    cutoff = now - timedelta(days=settings.DOCUMENT_RETENTION_DAYS)
    report.fax_pdfs = _forget_documents(Fax.objects.filter(pdf_fetched_at__lt=cutoff), "pdf_path")
    report.webhook_pdfs = _forget_documents(
        WebhookDelivery.objects.filter(received_at__lt=cutoff), "attachment_path"
    )
    report.stray = _purge_stray_documents(older_than=cutoff)
    if report.fax_pdfs or report.webhook_pdfs or report.stray:
        audit_record(
            "documents.purged",
            details={
                "fax_pdfs": report.fax_pdfs,
                "webhook_pdfs": report.webhook_pdfs,
                "stray": report.stray,
                "older_than": cutoff.date().isoformat(),
            },
        )
    return report


def _forget_documents(rows: QuerySet, field: str) -> int:
    """Delete the documents these rows name in `field`; returns how many."""
    deleted = 0
    for pk, path in rows.exclude(**{field: ""}).values_list("pk", field).iterator():
        # Forget the path first (only if it is still this one), then delete the file.
        if rows.model.objects.filter(pk=pk, **{field: path}).update(**{field: ""}):
            delete_document(path)
            deleted += 1
    return deleted


def _purge_stray_documents(*, older_than: datetime) -> int:
    """Fax documents no row names (a crash between writing and recording), once as old."""
    base = documents_dir()
    known = set(Fax.objects.exclude(pdf_path="").values_list("pdf_path", flat=True))
    known |= set(
        WebhookDelivery.objects.exclude(attachment_path="").values_list(
            "attachment_path", flat=True
        )
    )
    removed = 0
    for root in base.iterdir():
        # Fax documents live in YYYY/MM/; uploads and previews have their own purge.
        if root.is_dir() and root.name not in (UPLOADS_FOLDER, PREVIEWS_FOLDER):
            removed += delete_stray_files(root, known=known, older_than=older_than)
    return removed
