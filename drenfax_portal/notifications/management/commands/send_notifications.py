from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from drenfax_portal.api import get_client
from drenfax_portal.notifications.services import notifications_process


class Command(BaseCommand):
    help = (
        "Run one round of notification emails (enqueue, send, due digests). The sync worker "
        "does this on every step; this command is for a worker-less setup or a manual nudge."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with get_client() as client:
            report = notifications_process(client=client)
        self.stdout.write(str(report))
