"""The home page: figures against known data, scoped by the access rule, cheap to build."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_number
from tests.home.conftest import ALICE_NUMBER, BOB_NUMBER, inbound, outbound

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def world(numbers, joined_long_ago, alice, bob, now, earlier_today):
    """Known faxes for Alice's and Bob's numbers (figures worked out in each test)."""
    return {
        "a_in_today_1": inbound(ALICE_NUMBER, at=earlier_today, pages=2),
        "a_in_today_2": inbound(ALICE_NUMBER, at=earlier_today, pages=2, faxCsid="Dr. Patel"),
        "a_in_today_failed": inbound(ALICE_NUMBER, at=earlier_today, status="failed"),
        "a_in_3_days": inbound(ALICE_NUMBER, at=now - timedelta(days=3), pages=4),
        "a_in_40_days": inbound(ALICE_NUMBER, at=now - timedelta(days=40), pages=9),
        "a_out_today": outbound(ALICE_NUMBER, at=earlier_today, sent_by=alice),
        "a_out_today_failed": outbound(
            ALICE_NUMBER, at=earlier_today, status="failed", sent_by=alice
        ),
        "a_out_10_days_failed": outbound(
            ALICE_NUMBER, at=now - timedelta(days=10), status="failed", sent_by=alice
        ),
        "b_in_today": inbound(BOB_NUMBER, at=earlier_today, pages=5, faxCallerId="+16175550177"),
        "b_out_today_failed": outbound(
            BOB_NUMBER,
            at=earlier_today,
            status="failed",
            sent_by=bob,
            faxNumber="+14155550999",
        ),
    }


def stat(body: str, name: str) -> str:
    match = re.search(rf'data-stat="{name}">([^<]*)<', body)
    assert match, name
    return match.group(1).strip()


def unread_count(body: str) -> int:
    return int(re.search(r'data-count="(\d+)"', body).group(1))


def test_a_member_sees_her_own_figures_for_today_and_30_days(alice_client, world):
    body = alice_client.get("/").content.decode()
    assert (stat(body, "sent-today"), stat(body, "received-today")) == ("2", "3")
    # Delivered 2 in + 1 out of 3 in + 2 out finished.
    assert stat(body, "rate-today") == "60%"
    assert stat(body, "pages-today") == "8"  # 2 + 2 + 0 received, 3 + 1 sent
    assert (stat(body, "sent-30"), stat(body, "received-30")) == ("3", "4")
    assert stat(body, "rate-30") == "57.1%"  # 4 of 7
    assert stat(body, "pages-30") == "13"


def test_staff_see_the_whole_accounts_figures(staff_client, world):
    body = staff_client.get("/").content.decode()
    assert (stat(body, "sent-today"), stat(body, "received-today")) == ("3", "4")
    assert stat(body, "rate-today") == "57.1%"  # 4 of 7
    assert stat(body, "pages-today") == "14"
    assert (stat(body, "sent-30"), stat(body, "received-30")) == ("4", "5")
    assert stat(body, "rate-30") == "55.6%"  # 5 of 9
    assert stat(body, "pages-30") == "19"


def test_no_finished_fax_shows_no_success_rate(alice_client, numbers, joined_long_ago):
    body = alice_client.get("/").content.decode()
    assert stat(body, "rate-today") == "&ndash;"
    assert stat(body, "sent-30") == "0"


def test_the_inbox_lists_unread_received_faxes_of_my_numbers(alice_client, world):
    body = alice_client.get("/").content.decode()
    assert unread_count(body) == 3  # the failed reception and the 40-day-old one do not count
    for name in ("a_in_today_1", "a_in_today_2", "a_in_3_days"):
        assert f"/faxes/{world[name].message_id}/" in body
    assert f'/faxes/{world["a_in_today_failed"].message_id}/"><strong>' not in body
    assert "Mark all read" in body


def test_failed_outbound_faxes_of_the_week_have_a_reason_and_a_one_click_resend(
    alice_client, world
):
    body = alice_client.get("/").content.decode()
    failures = body[body.index('id="failures"') : body.index('id="activity"')]
    fax = world["a_out_today_failed"]
    assert "Busy" in failures
    assert f'action="/faxes/{fax.message_id}/resend/"' in failures
    assert 'name="submission_key"' in failures
    # Ten days ago is outside the week.
    assert str(world["a_out_10_days_failed"].message_id) not in failures
    assert "status=failed" in failures and "direction=outbound" in failures


def test_the_resend_button_sends_once_through_a_submission(alice_client, api, world):
    from faxes.models import Submission
    from tests.conftest import API_URL
    from tests.factories import fax_payload

    fax = world["a_out_today_failed"]
    new = fax_payload(direction="outbound", status="processing", faxNumber=fax.fax_number)
    api.post(f"{API_URL}/v1/fax/resend", json={"success": [new], "errors": []})
    body = alice_client.get("/").content.decode()
    key = re.search(
        rf'/faxes/{fax.message_id}/resend/">\s*<input type="hidden" name="csrfmiddlewaretoken"'
        r'[^>]*>\s*<input type="hidden" name="submission_key" value="([^"]+)"',
        body,
    ).group(1)
    for _ in range(2):  # a double click
        response = alice_client.post(f"/faxes/{fax.message_id}/resend/", {"submission_key": key})
        assert response.status_code == 302
    assert Submission.objects.get().kind == "resend"
    assert len(api.calls) == 1


def test_members_never_see_other_members_data(alice_client, world):
    body = alice_client.get("/").content.decode()
    assert "(312) 555-0100" not in body  # Bob's number
    assert "(617) 555-0177" not in body  # who faxed Bob
    assert "(415) 555-0999" not in body  # Bob's failed recipient
    assert str(world["b_in_today"].message_id) not in body
    assert str(world["b_out_today_failed"].message_id) not in body
    assert "Link to Drenfax" not in body and 'id="health"' not in body
    assert "My numbers" in body and "(206) 555-0100" in body


def test_staff_see_every_number_with_its_last_inbound_fax(staff_client, world, numbers):
    body = staff_client.get("/").content.decode()
    panel = body[body.index('id="numbers"') : body.index('id="health"')]
    assert "All numbers" in panel
    assert "(206) 555-0100" in panel and "(312) 555-0100" in panel
    assert f"/faxes/{world['b_in_today'].message_id}/" in panel
    assert "(617) 555-0177" in panel
    assert "alice" in panel and "bob" in panel  # members of each number
    assert 'id="health"' in body


def test_each_live_panel_refreshes_alone_through_htmx(alice_client, world):
    for target in ("inbox", "team", "activity"):
        response = alice_client.get("/", headers={**HTMX, "HX-Target": target})
        html = response.content.decode().strip()
        assert html.startswith(f'<section id="{target}"'), target
        assert "<html" not in html
        assert 'hx-trigger="every' in html
    page = alice_client.get("/").content.decode()
    assert page.count('hx-get="/"') == 3  # inbox, team and activity; members have no health


def test_a_member_asking_for_the_health_panel_gets_nothing(alice_client, world):
    response = alice_client.get("/", headers={**HTMX, "HX-Target": "health"})
    assert response.status_code == 200
    assert response.content.decode().strip() == ""


def test_a_new_inbound_fax_raises_the_unread_count_of_the_polled_panel(alice_client, world, now):
    poll = {**HTMX, "HX-Target": "inbox"}
    assert unread_count(alice_client.get("/", headers=poll).content.decode()) == 3
    inbound(ALICE_NUMBER, at=now - timedelta(seconds=5))
    assert unread_count(alice_client.get("/", headers=poll).content.decode()) == 4


def test_the_page_costs_the_same_queries_whatever_the_data(staff_client, world, bob, now):
    def add_numbers(first: int) -> None:
        for i in range(first, first + 12):
            number = make_number(f"+1503555{i:04d}", bob)
            for day in range(3):
                inbound(number.number, at=now - timedelta(days=day, minutes=5))
                outbound(number.number, at=now - timedelta(days=day, minutes=9), status="failed")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get("/").status_code == 200
        return len(captured.captured_queries)

    staff_client.get("/")  # the sync state row is created once
    assert queries() <= 25
    add_numbers(0)  # past every panel's list length
    baseline = queries()
    add_numbers(100)
    assert queries() == baseline <= 25
