from __future__ import annotations

import uuid
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from contacts.models import Contact
from contacts.services import contact_create
from drenfax_portal.accounts.services import profile_for
from drenfax_portal.api import get_client
from drenfax_portal.client import DrenfaxError
from fax_numbers.actions import number_assign_user
from fax_numbers.models import FaxNumber
from faxes.services.sync import sync_numbers

# The offices the demo team faxes with again and again: the contacts book starts with them,
# and the sandbox's seeded history deals mostly with them (name, organisation, fax, tags).
DEMO_CONTACTS = [
    ("Dr. Anita Patel", "Riverside Cardiology", "+12127360143", "referrals, cardiology"),
    ("Records desk", "Cook County Clerk", "+13123451290", "records"),
    ("Billing", "Bayview Medical Supply", "+14159872210", "billing"),
    ("Dr. James Lee", "Harbor Family Practice", "+16177340088", "referrals"),
    ("Intake", "Lee & Park LLP", "+17135201466", "legal"),
    ("Pharmacy", "Mercy Hospital", "+12068894102", "pharmacy"),
]


class Command(BaseCommand):
    help = (
        "First run in sandbox mode: give the sandbox a week of fax history, cache its numbers, "
        "assign one to each demo member and fill the contacts book. Does nothing once done."
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
                json={
                    "count": faxes,
                    "days": 7,
                    "correspondents": [
                        {"number": number, "name": organisation}
                        for _, organisation, number, _ in DEMO_CONTACTS
                    ],
                },
                headers=headers,
                timeout=60,
            )
            response.raise_for_status()
            with get_client() as client:
                sync_numbers(client=client)
                self._assign_numbers(client)
        except (requests.RequestException, DrenfaxError) as exc:
            raise CommandError(f"Could not seed the sandbox: {exc}") from exc
        self._fill_contacts()
        marker.write_text("seeded\n")
        self.stdout.write(f"Sandbox seeded with {faxes} faxes of the past week.")

    @staticmethod
    def _fill_contacts() -> None:
        staff = get_user_model().objects.filter(is_staff=True).order_by("pk").first()
        for name, organisation, number, tags in DEMO_CONTACTS:
            if not Contact.objects.filter(fax_number=number).exists():
                contact_create(
                    user=staff, name=name, organisation=organisation, fax_number=number, tags=tags
                )

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
