from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from faxes.worker import Worker


class Command(BaseCommand):
    help = (
        "Sync the fax cache from the Drenfax API within its rate limit. Without --once, run "
        "as a long-lived worker (one active across processes, thanks to a lease)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Run one step and exit.")
        parser.add_argument(
            "--interval", type=float, default=None, help="Seconds between steps (SYNC_INTERVAL)."
        )

    def handle(self, *args: Any, once: bool = False, interval: float | None = None, **_: Any):
        worker = Worker(interval=interval)
        if not once:
            worker.run()
            return
        report = worker.step()
        if report is None:
            raise CommandError("Another sync worker holds the lease; try again later.")
        self.stdout.write(str(report))
        if report.error:
            raise CommandError(report.error)
