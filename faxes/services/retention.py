"""Local copies of fax documents are deleted after DOCUMENT_RETENTION_DAYS.

The fax then forgets the path; opening it later fetches the document from Drenfax again.
`documents_purge` also runs the uploads' shorter purge
(`faxes.services.uploads.staged_files_purge`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
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


def document_retention() -> timedelta | None:
    days = settings.DOCUMENT_RETENTION_DAYS
    return timedelta(days=days) if days else None


def documents_purge(*, now: datetime | None = None) -> DocumentsPurgeReport:
    """Delete fax PDFs and webhook PDFs stored longer than the retention period, and the send
    form's uploads and previews past theirs. Idempotent; the sync worker runs it."""
    now = now or timezone.now()
    report = DocumentsPurgeReport(uploads=staged_files_purge(now=now))
    retention = document_retention()
    if retention is None:
        return report
    cutoff = now - retention
    old_faxes = Fax.objects.filter(pdf_fetched_at__lt=cutoff).exclude(pdf_path="")
    for pk, path in old_faxes.values_list("pk", "pdf_path").iterator():
        # Forget the path first (only if it is still this one), then delete the file.
        if Fax.objects.filter(pk=pk, pdf_path=path).update(pdf_path=""):
            delete_document(path)
            report.fax_pdfs += 1
    old_deliveries = WebhookDelivery.objects.filter(received_at__lt=cutoff).exclude(
        attachment_path=""
    )
    for pk, path in old_deliveries.values_list("pk", "attachment_path").iterator():
        if WebhookDelivery.objects.filter(pk=pk, attachment_path=path).update(attachment_path=""):
            delete_document(path)
            report.webhook_pdfs += 1
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
