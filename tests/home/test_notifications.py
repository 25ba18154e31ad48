"""Notification emails: once per fax, event and user, as each user prefers, no document."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError
from django.utils import timezone

from drenfax_portal.accounts.services import profile_for
from drenfax_portal.notifications.models import Notification
from drenfax_portal.notifications.preferences import defaults_save, preferences_save
from drenfax_portal.notifications.services import (
    digest_cut,
    notifications_enqueue,
    notifications_expire_abandoned,
    notifications_process,
    notifications_send,
)
from faxes.models import Fax
from faxes.services.cache import fax_merge_payloads
from faxes.services.documents import fax_set_pdf, write_document
from tests.conftest import API_URL
from tests.factories import fax_payload, make_number
from tests.home.conftest import ALICE_NUMBER, SENDER, iso

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _portal(settings):
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    settings.NOTIFY_ATTACH_DOCUMENTS = False


@pytest.fixture
def shared(alice, bob):
    """Alice and Bob both handle the faxes of one number."""
    return make_number(ALICE_NUMBER, alice, bob)


def receive(*, at: datetime | None = None, **extra) -> dict:
    """An inbound fax to the shared number, reported by webhook as arriving then received."""
    at = at or timezone.now() - timedelta(minutes=3)
    payload = fax_payload(
        **{
            "direction": "inbound",
            "status": "processing",
            "faxNumber": ALICE_NUMBER,
            "faxCallerId": SENDER,
            "faxCsid": "Mercy Clinic",
            "pagesCount": 3,
            "pagesComplete": 0,
            "createdAt": iso(at),
            **extra,
        }
    )
    fax_merge_payloads([payload], source="webhook")
    done = {
        **payload,
        "status": "success",
        "pagesComplete": 3,
        "resolvedDate": iso(at + timedelta(minutes=2)),
    }
    fax_merge_payloads([done], source="webhook")
    return done


def fail_outbound(*, sent_by, at: datetime | None = None) -> Fax:
    at = at or timezone.now() - timedelta(minutes=5)
    payload = fax_payload(
        direction="outbound",
        status="failed",
        faxCallerId=ALICE_NUMBER,
        faxNumber="+14155550123",
        recipientName="Dr. Patel",
        subject="Lab results",
        errorInfo="Busy",
        resultCode="17",
        pagesCount=3,
        pagesComplete=1,
        createdAt=iso(at),
        resolvedDate=iso(at + timedelta(minutes=1)),
    )
    fax_merge_payloads([payload], source="sync", sent_by=sent_by)
    return Fax.objects.get(message_id=payload["messageId"])


def to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


def test_a_received_fax_emails_each_member_of_the_number_exactly_once(shared):
    done = receive()
    notifications_process()
    notifications_process()  # the worker's next step
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]
    message = to("alice@example.com")[0]
    assert message.subject == "New fax from (718) 555-0111 to (206) 555-0100 (3 pages)"
    assert f"https://portal.example.com/faxes/{done['messageId']}/" in message.body
    assert "Mercy Clinic" in message.body and "Pages:     3" in message.body
    assert message.attachments == []
    assert "not attached" in message.body
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_duplicate_webhooks_and_repeated_runs_send_one_email_per_member(shared):
    done = receive()
    fax_merge_payloads([done], source="webhook")  # the provider retried the webhook
    notifications_enqueue()
    notifications_enqueue()
    fax_merge_payloads([done], source="sync")  # and the sync saw it too
    notifications_process()
    notifications_process()
    assert len(mail.outbox) == 2
    assert Notification.objects.filter(state="sent").count() == 2


def test_the_database_refuses_a_second_notification_for_the_same_event(shared, alice):
    receive()
    notifications_enqueue()
    first = Notification.objects.get(user=alice)
    with pytest.raises(IntegrityError):
        Notification.objects.create(fax=first.fax, event=first.event, user=alice)


def test_a_failed_outbound_fax_emails_its_sender_only(shared, alice):
    fax = fail_outbound(sent_by=alice)
    notifications_process()
    notifications_process()
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    message = mail.outbox[0]
    assert message.subject == "Fax to (415) 555-0123 failed: Busy"
    assert "Reason:    Busy (code 17)" in message.body
    assert "Dr. Patel" in message.body and "Lab results" in message.body
    assert "1 of 3 sent" in message.body
    assert f"https://portal.example.com/faxes/{fax.message_id}/" in message.body


def test_a_fax_that_is_still_arriving_is_not_notified(shared):
    fax_merge_payloads(
        [fax_payload(direction="inbound", status="transmitting", faxNumber=ALICE_NUMBER)],
        source="webhook",
    )
    notifications_process()
    assert mail.outbox == [] and not Notification.objects.exists()


def test_old_history_from_a_first_backfill_sends_nothing(shared, alice):
    long_ago = timezone.now() - timedelta(days=2)
    receive(at=long_ago)
    fail_outbound(sent_by=alice, at=long_ago)
    old = fax_payload(
        direction="inbound",
        status="success",
        faxNumber=ALICE_NUMBER,
        createdAt=iso(timezone.now() - timedelta(days=400)),
    )  # no resolvedDate: its creation date decides
    fax_merge_payloads([old], source="sync")
    notifications_process()
    assert mail.outbox == []


def test_faxes_to_unassigned_numbers_or_sent_outside_the_portal_email_nobody(alice):
    make_number("+19715550100")
    fax_merge_payloads(
        [
            fax_payload(
                direction="inbound",
                status="success",
                faxNumber="+19715550100",
                createdAt=iso(timezone.now()),
            ),
            fax_payload(
                direction="outbound",
                status="failed",
                faxCallerId="+19715550100",
                createdAt=iso(timezone.now()),
            ),
        ],
        source="webhook",
    )
    notifications_process()
    assert mail.outbox == [] and not Notification.objects.exists()


def test_a_member_who_turned_inbound_emails_off_gets_none(shared, alice):
    preferences_save(user=alice, inbound=False, failures=True, digest=False)
    receive()
    notifications_process()
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    skipped = Notification.objects.get(user=alice)
    assert skipped.state == "skipped" and "preferences" in skipped.note


def test_team_defaults_apply_to_users_without_their_own_choices(shared, alice, bob, staff):
    defaults_save(by=staff, inbound=False, failures=True, digest=False)
    preferences_save(user=bob, inbound=True, failures=True, digest=False)
    receive()
    notifications_process()
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]


def test_users_without_an_email_address_are_skipped(shared, alice):
    alice.email = ""
    alice.save()
    receive()
    notifications_process()
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    assert Notification.objects.get(user=alice).note == "the account has no email address"


def test_a_member_unassigned_before_the_send_gets_nothing(shared, alice):
    receive()
    notifications_enqueue()
    shared.assigned_users.remove(alice)
    notifications_send()
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    assert Notification.objects.get(user=alice).state == "skipped"


def test_digest_users_get_one_email_a_day_at_their_hour(settings, shared, alice, bob):
    settings.NOTIFY_DIGEST_HOUR = 7
    preferences_save(user=alice, inbound=True, failures=True, digest=True)
    profile = profile_for(alice)
    profile.timezone = "Europe/Berlin"
    profile.save()
    receive()
    receive(faxCsid="Front desk")
    fail_outbound(sent_by=alice)
    notifications_process()
    assert [m.to for m in mail.outbox] == [["bob@example.com"]] * 2  # Bob gets each at once
    mail.outbox.clear()
    assert Notification.objects.filter(user=alice, state="digest").count() == 3

    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    next_digest = digest_cut(timezone.now(), berlin, 7) + timedelta(days=1)  # next 07:00 there
    tomorrow_morning = next_digest + timedelta(minutes=5)
    notifications_process(now=tomorrow_morning - timedelta(minutes=10))  # 06:55: not yet
    assert mail.outbox == []
    notifications_process(now=tomorrow_morning)
    notifications_process(now=tomorrow_morning + timedelta(hours=1))
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == ["alice@example.com"]
    assert digest.subject == "Your daily fax digest: 2 faxes received, 1 failed"
    assert digest.body.count("https://portal.example.com/faxes/") == 3
    assert digest.attachments == []
    assert Notification.objects.filter(user=alice, state="sent", via_digest=True).count() == 3


def test_the_digest_cut_is_the_latest_digest_hour_in_the_users_zone():
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    at = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)  # 06:00 in Berlin
    assert digest_cut(at, berlin, 7) == datetime(2026, 11, 19, 7, 0, tzinfo=berlin)
    at = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)  # 07:30 in Berlin
    assert digest_cut(at, berlin, 7) == datetime(2026, 11, 20, 7, 0, tzinfo=berlin)


def test_no_document_is_attached_by_default_even_when_stored(shared, alice):
    done = receive()
    fax_set_pdf(Fax.objects.get(message_id=done["messageId"]), write_document([PDF])[0])
    notifications_process()
    assert all(m.attachments == [] for m in mail.outbox)
    assert all(b"%PDF" not in m.message().as_bytes() for m in mail.outbox)


def test_the_setting_attaches_the_stored_document(settings, shared):
    settings.NOTIFY_ATTACH_DOCUMENTS = True
    done = receive()
    fax_set_pdf(Fax.objects.get(message_id=done["messageId"]), write_document([PDF])[0])
    notifications_process()
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert message.attachments == [(f"fax-{done['messageId']}.pdf", PDF, "application/pdf")]
        assert "The document is attached" in message.body


def test_the_setting_fetches_a_document_not_yet_downloaded(settings, shared, api):
    from drenfax_portal.api import get_client

    settings.NOTIFY_ATTACH_DOCUMENTS = True
    done = receive()
    api.get(
        f"{API_URL}/v1/fax/{done['messageId']}/download", body=PDF, content_type="application/pdf"
    )
    with get_client() as client:
        notifications_process(client=client)
    assert [len(m.attachments) for m in mail.outbox] == [1, 1]
    assert len(api.calls) == 1  # fetched once, stored, then read locally


def test_a_failed_send_is_retried_later_and_sent_once(shared, alice, monkeypatch):
    from drenfax_portal.notifications import services

    receive()
    notifications_enqueue()
    calls = []

    def broken(self, fail_silently=False):
        calls.append(self.to)
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken)
    assert notifications_send() == (0, 2)
    monkeypatch.undo()
    assert notifications_send() == (0, 0)  # not before the retry delay
    later = timezone.now() + services.RETRY_EVERY + timedelta(seconds=1)
    assert notifications_send(now=later) == (2, 0)
    assert notifications_send(now=later + timedelta(hours=1)) == (0, 0)
    assert len(mail.outbox) == 2 and len(calls) == 2
    row = Notification.objects.get(user=alice)
    assert row.state == "sent" and row.attempts == 1 and "SMTP server down" in row.note


def test_a_send_that_keeps_failing_gives_up(shared, monkeypatch):
    from drenfax_portal.notifications import services

    receive()
    notifications_enqueue()
    monkeypatch.setattr(
        "django.core.mail.EmailMessage.send",
        lambda self, fail_silently=False: (_ for _ in ()).throw(OSError("no route")),
    )
    moment = timezone.now()
    for _ in range(services.MAX_ATTEMPTS + 2):
        notifications_send(now=moment)
        moment += services.RETRY_EVERY + timedelta(seconds=1)
    assert set(Notification.objects.values_list("state", "attempts")) == {
        ("failed", services.MAX_ATTEMPTS)
    }


def test_a_row_left_sending_by_a_dead_worker_is_never_sent_again(shared):
    receive()
    notifications_enqueue()
    Notification.objects.update(state="sending", claimed_at=timezone.now() - timedelta(minutes=30))
    assert notifications_expire_abandoned() == 2
    notifications_process()
    assert mail.outbox == []
    assert set(Notification.objects.values_list("state", flat=True)) == {"failed"}


def test_two_senders_never_send_the_same_row(shared):
    receive()
    notifications_enqueue()
    sent_inside = []

    def nested_send(self, fail_silently=False):
        # A second worker runs while the first is sending: everything is already claimed.
        sent_inside.append(notifications_send())
        mail.outbox.append(self)
        return 1

    import django.core.mail

    original = django.core.mail.EmailMessage.send
    django.core.mail.EmailMessage.send = nested_send
    try:
        assert notifications_send() == (2, 0)
    finally:
        django.core.mail.EmailMessage.send = original
    assert sent_inside == [(0, 0), (0, 0)]
    assert len(mail.outbox) == 2


def test_the_notifications_task_sends_the_notifications(shared):
    from faxes.tasks import notifications_periodic

    receive()
    notifications_periodic.call_local()
    assert len(mail.outbox) == 2


def test_times_in_the_email_are_in_the_recipients_zone(shared, alice):
    profile = profile_for(alice)
    profile.timezone = "America/Chicago"
    profile.save()
    receive()
    notifications_process()
    body = to("alice@example.com")[0].body
    assert "CST" in body or "CDT" in body


def test_provider_text_cannot_break_the_subject_line(shared):
    receive(faxCallerId="", faxCsid="Evil\r\nBcc: victim@example.com")
    notifications_process()
    assert len(mail.outbox) == 2
    assert all("\n" not in m.subject and "\r" not in m.subject for m in mail.outbox)
    assert mail.outbox[0].subject.startswith("New fax from Evil Bcc: victim@example.com")
    assert all(m.bcc == [] for m in mail.outbox)


def test_seeded_demo_faxes_can_be_recorded_as_handled(shared):
    done = receive()
    notifications_enqueue(
        faxes=Fax.objects.filter(message_id=done["messageId"]), skip_reason="demo data"
    )
    notifications_process()
    assert mail.outbox == []
    assert set(Notification.objects.values_list("state", "note")) == {("skipped", "demo data")}
