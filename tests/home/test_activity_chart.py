"""Activity figures per local day, and the SVG chart drawn from them."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from drenfax_portal.accounts.services import profile_for
from drenfax_portal.dashboard.chart import daily_bar_chart, nice_step
from drenfax_portal.dashboard.selectors import activity
from tests.home.conftest import ALICE_NUMBER, BOB_NUMBER, inbound, outbound

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def history(numbers, alice, bob):
    inbound(ALICE_NUMBER, at=NOW - timedelta(hours=1), pages=2)
    inbound(ALICE_NUMBER, at=NOW - timedelta(days=1), pages=3)
    inbound(ALICE_NUMBER, at=NOW - timedelta(days=1), status="failed")
    outbound(ALICE_NUMBER, at=NOW - timedelta(days=1), sent_by=alice, pages=4)
    outbound(ALICE_NUMBER, at=NOW - timedelta(days=2), status="failed", sent_by=alice)
    outbound(ALICE_NUMBER, at=NOW - timedelta(days=2), status="cancelled", sent_by=alice)
    outbound(ALICE_NUMBER, at=NOW - timedelta(days=29, hours=14), sent_by=alice)  # first day
    outbound(ALICE_NUMBER, at=NOW - timedelta(days=30, hours=1), sent_by=alice)  # too old
    inbound(BOB_NUMBER, at=NOW - timedelta(days=1), pages=7)


def test_days_are_counted_in_one_grouped_query(alice, history):
    with CaptureQueriesContext(connection) as captured:
        result = activity(alice, now=NOW, tz=UTC)
    sql = [q["sql"] for q in captured.captured_queries]
    assert len(sql) <= 2  # Alice's number ids, then the counts
    assert "GROUP BY" in sql[-1] and "faxes_fax" in sql[-1]
    assert len(result.days) == 30
    assert result.days[-1].day == NOW.date()
    assert result.days[0].day == (NOW - timedelta(days=29)).date()
    yesterday = result.days[-2]
    assert (yesterday.in_ok, yesterday.in_failed, yesterday.in_total) == (1, 1, 2)
    assert (yesterday.out_ok, yesterday.out_failed, yesterday.out_total) == (1, 0, 1)
    assert yesterday.pages == 3 + 0 + 4
    before = result.days[-3]
    assert (before.out_ok, before.out_failed, before.out_total) == (0, 1, 2)  # one cancelled
    assert result.days[0].out_ok == 1


def test_totals_and_success_rate_leave_out_cancelled_and_open_faxes(alice, history):
    result = activity(alice, now=NOW, tz=UTC)
    assert (result.today.sent, result.today.received, result.today.pages) == (0, 1, 2)
    assert result.today.success_rate == 100.0
    period = result.period
    assert (period.sent, period.received) == (4, 3)
    assert (period.succeeded, period.failed) == (4, 2)
    assert period.success_rate == pytest.approx(100 * 4 / 6)


def test_staff_figures_include_every_number(staff, history):
    result = activity(staff, now=NOW, tz=UTC)
    assert result.period.received == 4
    assert result.days[-2].pages == 14


def test_days_follow_the_users_time_zone(alice, numbers):
    # 03:00 UTC on Nov 20 is still Nov 19 in Los Angeles.
    inbound(ALICE_NUMBER, at=datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    la = zoneinfo.ZoneInfo("America/Los_Angeles")
    in_la = activity(alice, now=NOW, tz=la)
    assert in_la.days[-1].in_total == 0 and in_la.days[-2].in_total == 1
    in_utc = activity(alice, now=NOW, tz=UTC)
    assert in_utc.days[-1].in_total == 1


def test_the_home_page_uses_the_profile_time_zone_for_today(alice, alice_client, numbers, now):
    profile = profile_for(alice)
    profile.timezone = "Pacific/Kiritimati"  # UTC+14: "today" there starts long before UTC's
    profile.save()
    kiritimati = zoneinfo.ZoneInfo("Pacific/Kiritimati")
    start_there = now.astimezone(kiritimati).replace(hour=0, minute=0, second=0, microsecond=0)
    inbound(ALICE_NUMBER, at=start_there + timedelta(seconds=1))
    inbound(ALICE_NUMBER, at=start_there - timedelta(seconds=1))  # yesterday there
    body = alice_client.get("/").content.decode()
    assert 'data-stat="received-today">1<' in body
    assert 'data-stat="received-30">2<' in body


def test_nice_steps_give_round_gridlines():
    assert [nice_step(v) for v in (0, 3, 4, 5, 9, 17, 40, 41, 99, 230)] == [
        1,
        1,
        1,
        2,
        5,
        5,
        10,
        20,
        50,
        100,
    ]


def test_bars_stack_failed_on_delivered_and_fit_the_plot(alice, history):
    result = activity(alice, now=NOW, tz=UTC)
    chart = daily_bar_chart(result.days)
    assert chart.top >= 2
    yesterday = [b for b in chart.bars if b.label.startswith("Nov 19")]
    kinds = sorted(b.css for b in yesterday)
    assert kinds == ["bar-in-failed", "bar-in-ok", "bar-out-ok"]
    in_ok = next(b for b in yesterday if b.css == "bar-in-ok")
    in_failed = next(b for b in yesterday if b.css == "bar-in-failed")
    assert in_failed.y + in_failed.height == pytest.approx(in_ok.y)  # stacked on top
    for bar in chart.bars:
        assert chart.plot_top <= bar.y and bar.y + bar.height <= chart.plot_bottom + 0.01
        assert chart.plot_left <= bar.x <= chart.plot_right
    assert chart.x_labels[-1].label == "Nov 20"  # today is always labelled
    assert chart.y_ticks[0].label == "0"


def test_an_empty_month_draws_an_empty_chart(alice, numbers):
    chart = daily_bar_chart(activity(alice, now=NOW, tz=UTC).days)
    assert chart.bars == [] and chart.top == 1


def test_the_page_draws_an_accessible_svg_chart_with_the_right_totals(
    alice_client, alice, numbers, joined_long_ago, now, earlier_today
):
    inbound(ALICE_NUMBER, at=earlier_today)
    inbound(ALICE_NUMBER, at=now - timedelta(days=2))
    inbound(ALICE_NUMBER, at=now - timedelta(days=2), status="failed")
    outbound(ALICE_NUMBER, at=now - timedelta(days=3), sent_by=alice)
    for _ in range(2):
        outbound(ALICE_NUMBER, at=now - timedelta(days=4), status="failed", sent_by=alice)
    body = alice_client.get("/").content.decode()
    svg = body[body.index("<svg") : body.index("</svg>")]
    assert 'role="img"' in svg and 'aria-labelledby="chart-title chart-desc"' in svg
    assert '<title id="chart-title">Faxes per day, last 30 days</title>' in svg
    desc = re.search(r'<desc id="chart-desc">(.*?)</desc>', svg, re.S).group(1)
    assert "2 received and delivered, 1 received and failed" in desc
    assert "1 sent and delivered, 2 sent and failed" in desc
    assert ">Day</text>" in svg and ">Faxes</text>" in svg  # axis labels
    # One rectangle per non-empty stack part, each with its own tooltip.
    assert svg.count("<rect") == 5
    assert svg.count('class="bar-out-failed"') == 1 and ": 2 sent, failed</title>" in svg
    assert "style=" not in svg and "<script" not in svg  # a strict CSP allows it
    table = body[body.index('<details class="chart-table">') : body.index("</details>")]
    assert table.count("<tr>") == 31  # a header and 30 days
