from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from faxes.services.uploads import staged_files_purge


class Command(BaseCommand):
    help = (
        "Delete files uploaded on the send form after UPLOAD_RETENTION_HOURS, and previews "
        "after an hour. The sync worker does this every few minutes; run it from cron when "
        "no worker runs."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(str(staged_files_purge()))
