from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from faxes.tasks import sync_step


class Command(BaseCommand):
    help = (
        "Run one sync step now, in this process (the task consumer, `run_huey`, runs one every "
        "minute). Waits for nothing: if a step is running elsewhere, says so and exits."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Kept for scripts; the default.")
        parser.add_argument("--numbers", action="store_true", help="Refresh the numbers too.")

    def handle(self, *args: Any, numbers: bool = False, **_: Any) -> None:
        report = sync_step(numbers=numbers)
        if report is None:
            raise CommandError("A sync step is running elsewhere; try again in a minute.")
        self.stdout.write(str(report))
        if report.error:
            raise CommandError(report.error)
