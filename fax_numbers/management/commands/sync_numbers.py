from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from drenfax_portal.api import get_client
from drenfax_portal.client import DrenfaxError
from fax_numbers.services import numbers_sync


class Command(BaseCommand):
    help = "Refresh the cached fax numbers from the Drenfax API."

    def handle(self, *args: Any, **options: Any) -> None:
        with get_client() as client:
            try:
                count = numbers_sync(client=client)
            except DrenfaxError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(f"{count} number(s) synced.")
