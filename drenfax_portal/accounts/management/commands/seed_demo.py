from __future__ import annotations

import random
import secrets
import uuid
from datetime import datetime, time, timedelta
from itertools import accumulate
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from drenfax_portal.accounts.services import profile_for
from drenfax_portal.notifications.services import NOTIFY_WITHIN, notifications_enqueue
from fax_numbers.models import FaxNumber
from faxes.loader import bulk_insert_faxes
from faxes.models import Direction, Fax, FaxEvent, FaxStatus, TeamState

# (username, first name, last name, staff)
DEMO_USERS = [
    ("manager", "Morgan", "Reyes", True),
    ("alice", "Alice", "Nguyen", False),
    ("bob", "Bob", "Okafor", False),
]
FAILURES = [("Busy", "17"), ("No answer", "18"), ("Not a fax machine", "21")]
SUBJECTS = ["Referral", "Lab results", "Invoice", "Prior authorization", "Contract", "Records"]
NAMES = ["Dr. Patel", "Mercy Clinic", "Acme Freight", "Lee & Park LLP", "Front desk", ""]
OUTCOMES = [FaxStatus.FAILED, FaxStatus.CANCELLED, FaxStatus.SUCCESS]
SPAN = timedelta(days=90)
# Seeded faxes get a timeline up to this many; a benchmark's million would only slow it.
EVENTS_UP_TO = 20_000
# How busy a day is, by how many days ago it was: this week most, this month less.
DAYS = range(SPAN.days)
DAY_WEIGHTS = list(accumulate(6.0 if d < 7 else 2.5 if d < 30 else 1.0 for d in DAYS))
# Office hours, busiest late morning and early afternoon.
HOURS = range(24)
HOUR_WEIGHTS = list(accumulate([0.1] * 7 + [1, 3, 5, 6, 5, 3, 5, 6, 5, 3, 1] + [0.2] * 6))


def _office_moment(rng: random.Random, now: datetime) -> datetime:
    """When a fax of a team's working week happened (server time zone), never in the future."""
    local_now = timezone.localtime(now)
    while True:
        days_ago = rng.choices(DAYS, cum_weights=DAY_WEIGHTS)[0]
        day = local_now.date() - timedelta(days=days_ago)
        if day.weekday() >= 5 and rng.random() > 0.15:
            continue  # weekends are quiet
        hour = rng.choices(HOURS, cum_weights=HOUR_WEIGHTS)[0]
        moment = timezone.make_aware(
            datetime.combine(day, time(hour, rng.randint(0, 59), rng.randint(0, 59)))
        )
        if moment <= now:
            return moment


def _status(rng: random.Random, direction: str, age: timedelta) -> str:
    if age < timedelta(minutes=20) and rng.random() < 0.3:
        return rng.choice([FaxStatus.PROCESSING, FaxStatus.TRANSMITTING])
    # Outbound: 7% failed, 1% cancelled; inbound: 3% failed.
    outbound = direction == Direction.OUTBOUND
    weights = [0.07, 0.08, 1.0] if outbound else [0.03, 0.03, 1.0]
    return rng.choices(OUTCOMES, cum_weights=weights)[0]


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

    def _numbers(self) -> list[FaxNumber]:
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
        """A team's last 90 days, busiest this week: weekdays in office hours, a few failures."""
        numbers = self._numbers()
        senders = {n.pk: n.assigned_users.first() for n in numbers if n.assigned_users.exists()}
        staff = get_user_model().objects.filter(is_staff=True).order_by("pk").first()
        now = timezone.now()
        self._team_has_been_here(now - SPAN - timedelta(days=1))
        recent: list[uuid.UUID] = []  # finished lately: recorded as notified, not emailed

        def rows():
            for _ in range(count):
                row = self._fax_row(rng, now, numbers, senders, staff)
                if row["resolved_at"] and row["resolved_at"] > now - NOTIFY_WITHIN:
                    recent.append(row["message_id"])
                yield row

        # A large load (benchmarks) goes in without its secondary indexes, rebuilt after.
        made = bulk_insert_faxes(rows(), rebuild_indexes=count >= 50_000)
        if count <= EVENTS_UP_TO:  # a timeline for demo faxes; benchmarks don't read them
            FaxEvent.objects.bulk_create(
                FaxEvent(fax_id=pk, source=FaxEvent.Source.SYNC, status=status, note="seeded")
                for pk, status in Fax.objects.filter(events__isnull=True).values_list(
                    "pk", "status"
                )
            )
        self._a_few_failures(rng, now)
        self._leave_a_few_unread(rng)
        # The worker must not email the team about invented faxes.
        seeded = Fax.objects.filter(message_id__in=recent)
        while notifications_enqueue(faxes=seeded, skip_reason="seeded demo data"):
            pass
        return made

    @staticmethod
    def _fax_row(rng: random.Random, now: datetime, numbers, senders, staff) -> dict[str, Any]:
        number = rng.choice(numbers)
        direction = Direction.INBOUND if rng.random() < 0.45 else Direction.OUTBOUND
        inbound = direction == Direction.INBOUND
        created = _office_moment(rng, now)
        status = _status(rng, direction, now - created)
        other = f"+1{rng.choice(['206', '312', '415', '617', '718'])}555{rng.randint(0, 9999):04d}"
        pages = rng.randint(1, 12)
        failure = rng.choice(FAILURES) if status == FaxStatus.FAILED else None
        ok = status == FaxStatus.SUCCESS
        done = status in (FaxStatus.SUCCESS, FaxStatus.FAILED, FaxStatus.CANCELLED)
        duration = pages * rng.randint(20_000, 40_000)
        resolved = min(created + timedelta(milliseconds=duration + 20_000), now) if done else None
        sender = senders.get(number.pk)
        # The team's hands: older receptions mostly done, some recent ones taken; staff take
        # a tenth, and those of the numbers nobody works with.
        team: dict[str, Any] = {}
        taker = staff if sender is None or rng.random() < 0.1 else sender
        if inbound and ok and taker is not None:
            if now - created > timedelta(days=2) and rng.random() < 0.9:
                team = {"team_state": TeamState.DONE, "assignee_id": taker.pk}
            elif rng.random() < 0.3:
                team = {"team_state": TeamState.ASSIGNED, "assignee_id": taker.pk}
            if team:
                team["team_changed_by_id"] = taker.pk
                team["team_changed_at"] = min(created + timedelta(hours=1), now)
        return {
            **team,
            "message_id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "direction": direction,
            "status": status,
            "fax_number": number.number if inbound else other,
            "fax_caller_id": other if inbound else number.number,
            "fax_csid": rng.choice(NAMES) if inbound else "Drenfax",
            "pages_count": pages,
            "pages_complete": pages if ok else rng.randint(0, pages if done else pages - 1),
            "result_code": failure[1] if failure else ("0" if ok else ""),
            "result_info": failure[0] if failure else ("OK" if ok else ""),
            "error_info": failure[0] if failure else "",
            "duration": duration if done else None,
            "fax_speed": rng.choice([9600, 14400, 33600]),
            "subject": "" if inbound else rng.choice(SUBJECTS),
            "recipient_name": "" if inbound else rng.choice(NAMES),
            "is_archived": done and created < now - timedelta(days=14) and rng.random() < 0.15,
            "created_at": created,
            "resolved_at": resolved,
            # As if the portal had learned of each fax when it finished, not all just now.
            "first_seen_at": resolved or created,
            "tags": ["billing"] if rng.random() < 0.05 else [],
            "number_id": number.pk,
            "sent_by_id": None if inbound or sender is None else sender.pk,
        }

    @staticmethod
    def _team_has_been_here(since: datetime) -> None:
        """Faxes from before someone joined count as read; the demo team joined long ago."""
        team = Q(username__in=[u[0] for u in DEMO_USERS]) | Q(username__startswith="member")
        get_user_model().objects.filter(team, date_joined__gt=since).update(date_joined=since)

    @staticmethod
    def _a_few_failures(rng: random.Random, now: datetime) -> None:
        """Every member has a failure or two this week to resend (chance alone may not)."""
        week = now - timedelta(days=7)
        for member in get_user_model().objects.filter(is_staff=False):
            mine = Fax.objects.filter(
                direction=Direction.OUTBOUND, sent_by=member, created_at__gte=week
            )
            missing = 2 - mine.filter(status=FaxStatus.FAILED).count()
            delivered = list(mine.filter(status=FaxStatus.SUCCESS).values_list("pk", flat=True))
            for pk in rng.sample(delivered, max(min(missing, len(delivered)), 0)):
                reason, code = rng.choice(FAILURES)
                Fax.objects.filter(pk=pk).update(
                    status=FaxStatus.FAILED,
                    pages_complete=0,
                    result_code=code,
                    result_info=reason,
                    error_info=reason,
                )
                FaxEvent.objects.filter(fax_id=pk).update(status=FaxStatus.FAILED)

    @staticmethod
    def _leave_a_few_unread(rng: random.Random) -> None:
        """Each member has read all but their few newest received faxes ("mark all read")."""
        for member in get_user_model().objects.filter(is_staff=False):
            newest = list(
                Fax.objects.filter(
                    direction=Direction.INBOUND,
                    status=FaxStatus.SUCCESS,
                    is_archived=False,
                    number__assigned_users=member,
                )
                .order_by("-first_seen_at")
                .values_list("first_seen_at", flat=True)[: rng.randint(2, 5)]
            )
            if newest:
                profile = profile_for(member)
                profile.inbox_read_before = newest[-1]
                profile.save(update_fields=["inbox_read_before"])
