from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from faxes.services.retention import documents_purge


class Command(BaseCommand):
    help = (
        "Delete locally stored fax PDFs after DOCUMENT_RETENTION_DAYS, and the send form's "
        "uploads after UPLOAD_RETENTION_HOURS. The sync worker does this every few minutes; "
        "run it from cron when no worker runs."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(str(documents_purge()))
