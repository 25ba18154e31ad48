"""`seed_demo --faxes` fills the home page like a real team's week, without sending email."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from drenfax_portal.notifications.services import notifications_process
from faxes.models import Direction, Fax, FaxStatus
from faxes.services.reads import unread_inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.DRENFAX_SANDBOX = True
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--faxes", "400", stdout=io.StringIO())
    return get_user_model().objects.filter(is_staff=False)


def test_this_week_is_busier_than_the_weeks_before(seeded):
    now = timezone.now()
    week = Fax.objects.filter(created_at__gte=now - timedelta(days=7)).count()
    month_before = Fax.objects.filter(
        created_at__gte=now - timedelta(days=35), created_at__lt=now - timedelta(days=28)
    ).count()
    assert week > 2 * month_before
    assert not Fax.objects.filter(created_at__gt=now).exists()


def test_each_member_has_a_few_unread_faxes_and_failures_to_resend(seeded):
    week = timezone.now() - timedelta(days=7)
    for member in seeded:
        assert 2 <= unread_inbound(member).count() <= 8, member
        failed = Fax.objects.filter(
            direction=Direction.OUTBOUND,
            status=FaxStatus.FAILED,
            sent_by=member,
            created_at__gte=week,
        )
        assert failed.count() >= 2, member
        assert all(f.reason for f in failed)


def test_the_worker_sends_no_email_about_seeded_faxes(seeded):
    notifications_process()
    assert mail.outbox == []
