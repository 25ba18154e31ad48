from __future__ import annotations

import uuid
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from drenfax_portal.accounts.services import profile_for
from drenfax_portal.api import get_client
from drenfax_portal.client import DrenfaxError
from fax_numbers.actions import number_assign_user
from fax_numbers.models import FaxNumber
from faxes.services.sync import sync_numbers


class Command(BaseCommand):
    help = (
        "First run in sandbox mode: give the sandbox a week of fax history, cache its numbers "
        "and assign one to each demo member. Does nothing once done."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--faxes", type=int, default=180, help="History faxes to create.")

    def handle(self, *args: Any, faxes: int = 180, **options: Any) -> None:
        if not settings.DRENFAX_SANDBOX:
            raise CommandError("seed_sandbox only runs in sandbox mode.")
        marker = settings.VAR_DIR / "sandbox-seeded"
        if marker.exists():
            return
        base = settings.DRENFAX_API_URL
        headers = {"Authorization": f"Basic {settings.DRENFAX_API_KEY}"}
        try:
            response = requests.post(
                f"{base}/_sandbox/seed",
                json={"count": faxes, "days": 7},
                headers=headers,
                timeout=60,
            )
            response.raise_for_status()
            with get_client() as client:
                sync_numbers(client=client)
                self._assign_numbers(client)
        except (requests.RequestException, DrenfaxError) as exc:
            raise CommandError(f"Could not seed the sandbox: {exc}") from exc
        marker.write_text("seeded\n")
        self.stdout.write(f"Sandbox seeded with {faxes} faxes of the past week.")

    def _assign_numbers(self, client) -> None:
        """Each demo member works with one of the sandbox's numbers, mirrored to the API."""
        members = get_user_model().objects.filter(is_staff=False).order_by("pk")
        numbers = FaxNumber.objects.filter(state__in=["available", "assigned"]).order_by("number")
        for member, number in zip(members, numbers, strict=False):
            profile = profile_for(member)
            if profile.drenfax_user_id is None:
                profile.drenfax_user_id = uuid.uuid4()
                profile.save(update_fields=["drenfax_user_id"])
            number_assign_user(client=client, number=number, user=member)
