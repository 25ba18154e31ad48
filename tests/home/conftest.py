"""A small team's faxes, placed relative to now: Alice and Bob each have a number."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from faxes.models import Fax
from tests.factories import make_fax, make_number

ALICE_NUMBER = "+12065550100"
BOB_NUMBER = "+13125550100"
SENDER = "+17185550111"


def iso(moment: datetime) -> str:
    return moment.isoformat()


def inbound(to: str, *, at: datetime, status: str = "success", pages: int = 2, **extra) -> Fax:
    """An inbound fax to one of our numbers, finished a minute after it started."""
    return make_fax(
        direction="inbound",
        status=status,
        faxNumber=to,
        faxCallerId=extra.pop("faxCallerId", SENDER),
        faxCsid=extra.pop("faxCsid", "Mercy Clinic"),
        pagesCount=pages,
        pagesComplete=pages if status == "success" else 0,
        createdAt=iso(at),
        resolvedDate=iso(at + timedelta(minutes=1)) if status in ("success", "failed") else None,
        **extra,
    )


def outbound(
    caller_id: str, *, at: datetime, status: str = "success", pages: int = 3, sent_by=None, **extra
) -> Fax:
    """An outbound fax from one of our numbers (its caller id) to a recipient."""
    failed = status == "failed"
    return make_fax(
        sent_by=sent_by,
        direction="outbound",
        status=status,
        faxCallerId=caller_id,
        faxNumber=extra.pop("faxNumber", "+14155550123"),
        pagesCount=pages,
        pagesComplete=1 if failed else (pages if status == "success" else 0),
        errorInfo="Busy" if failed else None,
        resultCode="17" if failed else "0",
        createdAt=iso(at),
        resolvedDate=iso(at + timedelta(minutes=2)) if status in ("success", "failed") else None,
        **extra,
    )


@pytest.fixture
def now() -> datetime:
    return timezone.now()


@pytest.fixture
def today_start(now) -> datetime:
    return now.astimezone(timezone.get_default_timezone()).replace(
        hour=0, minute=0, second=0, microsecond=0
    )


@pytest.fixture
def earlier_today(now, today_start):
    """A moment today (server time zone) that is already past, however early it is now."""
    return max(now - timedelta(minutes=30), today_start + timedelta(seconds=1))


@pytest.fixture
def numbers(alice, bob):
    return make_number(ALICE_NUMBER, alice), make_number(BOB_NUMBER, bob)


@pytest.fixture
def joined_long_ago(alice, bob, staff, now):
    """The team joined the portal before any of the test faxes arrived."""
    for user in (alice, bob, staff):
        user.date_joined = now - timedelta(days=90)
        user.save(update_fields=["date_joined"])
