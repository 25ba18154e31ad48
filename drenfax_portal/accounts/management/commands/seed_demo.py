from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# (username, first name, last name, staff)
DEMO_USERS = [
    ("manager", "Morgan", "Reyes", True),
    ("alice", "Alice", "Nguyen", False),
    ("bob", "Bob", "Okafor", False),
]


class Command(BaseCommand):
    help = "Create the demo team (one staff user, two members) for sandbox mode."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Run even when not in sandbox mode."
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DRENFAX_SANDBOX and not force:
            raise CommandError("seed_demo only runs in sandbox mode (or with --force).")
        created = self._create_users()
        if created:
            path = settings.VAR_DIR / "demo-users.txt"
            lines = [f"{username}  {password}  ({role})" for username, password, role in created]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines) + "\n")
            path.chmod(0o600)
            self.stdout.write(self.style.SUCCESS("Demo users created (username, password):"))
            for line in lines:
                self.stdout.write(f"    {line}")
            self.stdout.write(f"  They are also in {path} (readable only by you).")
        else:
            self.stdout.write(
                "Demo users already exist; their passwords are in var/demo-users.txt."
            )

    @transaction.atomic
    def _create_users(self) -> list[tuple[str, str, str]]:
        User = get_user_model()
        created = []
        for username, first, last, staff in DEMO_USERS:
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
