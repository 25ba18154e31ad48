from __future__ import annotations

import random
import secrets
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from fax_numbers.models import FaxNumber
from faxes.models import Direction, Fax, FaxEvent, FaxStatus
from faxes.payload import search_text

# (username, first name, last name, staff)
DEMO_USERS = [
    ("manager", "Morgan", "Reyes", True),
    ("alice", "Alice", "Nguyen", False),
    ("bob", "Bob", "Okafor", False),
]
FAILURES = [("Busy", "17"), ("No answer", "18"), ("Not a fax machine", "21")]
SUBJECTS = ["Referral", "Lab results", "Invoice", "Prior authorization", "Contract", "Records"]
NAMES = ["Dr. Patel", "Mercy Clinic", "Acme Freight", "Lee & Park LLP", "Front desk", ""]


class Command(BaseCommand):
    help = (
        "Create the demo team (one staff user and members) and, with --faxes, fill the local "
        "cache with generated faxes (for demos and benchmarks; cache only, not the API)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--users", type=int, default=3, help="Team size (at least 3).")
        parser.add_argument("--faxes", type=int, default=0, help="Generated faxes to add.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed for --faxes.")
        parser.add_argument(
            "--force", action="store_true", help="Run even when not in sandbox mode."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DRENFAX_SANDBOX and not options["force"]:
            raise CommandError("seed_demo only runs in sandbox mode (or with --force).")
        created = self._create_users(max(options["users"], 3))
        if created:
            path = settings.VAR_DIR / "demo-users.txt"
            lines = [f"{username}  {password}  ({role})" for username, password, role in created]
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a") as out:
                out.write("\n".join(lines) + "\n")
            path.chmod(0o600)
            self.stdout.write(self.style.SUCCESS("Demo users created (username, password):"))
            for line in lines:
                self.stdout.write(f"    {line}")
            self.stdout.write(f"  They are also in {path} (readable only by you).")
        else:
            self.stdout.write(
                "Demo users exist already; their passwords are in var/demo-users.txt."
            )
        if options["faxes"]:
            count = self._create_faxes(options["faxes"], random.Random(options["seed"]))
            self.stdout.write(f"{count} generated faxes added to the cache.")

    @transaction.atomic
    def _create_users(self, size: int) -> list[tuple[str, str, str]]:
        User = get_user_model()
        team = DEMO_USERS + [
            (f"member{i}", "Member", str(i), False) for i in range(len(DEMO_USERS) + 1, size + 1)
        ]
        created = []
        for username, first, last, staff in team:
            if User.objects.filter(username=username).exists():
                continue
            password = secrets.token_urlsafe(9)
            User.objects.create_user(
                username=username,
                password=password,
                first_name=first,
                last_name=last,
                email=f"{username}@example.com",
                is_staff=staff,
                is_superuser=staff,
            )
            created.append((username, password, "staff" if staff else "member"))
        return created

    def _numbers(self, rng: random.Random) -> list[FaxNumber]:
        """One generated number per member, plus two nobody works with."""
        members = list(get_user_model().objects.filter(is_staff=False).order_by("pk"))
        numbers = list(FaxNumber.objects.exclude(state=FaxNumber.State.REMOVED))
        for i in range(len(numbers), len(members) + 2):
            number = FaxNumber.objects.create(
                uuid=uuid.uuid4(),
                number=f"+1206555{1000 + i:04d}",
                state=FaxNumber.State.ASSIGNED if i < len(members) else FaxNumber.State.AVAILABLE,
                synced_at=timezone.now(),
            )
            if i < len(members):
                number.assigned_users.add(members[i])
            numbers.append(number)
        return numbers

    def _create_faxes(self, count: int, rng: random.Random) -> int:
        numbers = self._numbers(rng)
        senders = {n.pk: n.assigned_users.first() for n in numbers if n.assigned_users.exists()}
        now = timezone.now()
        span = timedelta(days=90).total_seconds()
        batch: list[Fax] = []
        made = 0
        for i in range(count):
            number = rng.choice(numbers)
            direction = Direction.INBOUND if rng.random() < 0.45 else Direction.OUTBOUND
            roll = rng.random()
            created = now - timedelta(seconds=span * (i / max(count, 1)) + rng.random() * 60)
            status = (
                FaxStatus.FAILED
                if roll < 0.08
                else FaxStatus.PROCESSING
                if roll < 0.09 and i < 50
                else FaxStatus.SUCCESS
            )
            other = (
                f"+1{rng.choice(['206', '312', '415', '617', '718'])}555{rng.randint(0, 9999):04d}"
            )
            pages = rng.randint(1, 12)
            failure = rng.choice(FAILURES) if status == FaxStatus.FAILED else None
            fax = Fax(
                message_id=uuid.uuid4(),
                direction=direction,
                status=status,
                fax_number=number.number if direction == Direction.INBOUND else other,
                fax_caller_id=other if direction == Direction.INBOUND else number.number,
                fax_csid=rng.choice(NAMES) if direction == Direction.INBOUND else "Drenfax",
                pages_count=pages,
                pages_complete=pages if status == FaxStatus.SUCCESS else rng.randint(0, pages),
                result_code=failure[1] if failure else ("0" if status == FaxStatus.SUCCESS else ""),
                result_info=failure[0]
                if failure
                else ("OK" if status == FaxStatus.SUCCESS else ""),
                error_info=failure[0] if failure else "",
                duration=pages * rng.randint(20_000, 40_000),
                fax_speed=rng.choice([9600, 14400, 33600]),
                subject=rng.choice(SUBJECTS) if direction == Direction.OUTBOUND else "",
                recipient_name=rng.choice(NAMES) if direction == Direction.OUTBOUND else "",
                is_archived=rng.random() < 0.1,
                created_at=created,
                resolved_at=created + timedelta(minutes=2)
                if status != FaxStatus.PROCESSING
                else None,
                tags=["billing"] if rng.random() < 0.05 else [],
                number=number,
                sent_by=senders.get(number.pk) if direction == Direction.OUTBOUND else None,
            )
            fax.tag_list = "|" + "|".join(fax.tags) + "|"
            fax.search_text = search_text(
                {
                    "fax_number": fax.fax_number,
                    "fax_caller_id": fax.fax_caller_id,
                    "fax_csid": fax.fax_csid,
                    "subject": fax.subject,
                    "recipient_name": fax.recipient_name,
                    "message_id": fax.message_id,
                    "custom_fields": {},
                }
            )
            batch.append(fax)
            if len(batch) >= 5000:
                made += self._flush(batch)
        return made + self._flush(batch)

    @staticmethod
    @transaction.atomic
    def _flush(batch: list[Fax]) -> int:
        created = Fax.objects.bulk_create(batch)
        FaxEvent.objects.bulk_create(
            FaxEvent(fax=f, source=FaxEvent.Source.SYNC, status=f.status, note="seeded")
            for f in created
        )
        batch.clear()
        return len(created)
