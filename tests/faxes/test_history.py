"""The fax history page: filters, search, pagination, htmx partials, refresh and export."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from faxes.models import Fax, SyncState
from faxes.selectors import encode_cursor
from faxes.services.cache import fax_merge_payloads
from tests.factories import fax_payload, make_fax, make_number

HTMX = {"HX-Request": "true"}  # what htmx sends: fragments answer it alone

pytestmark = pytest.mark.django_db


def ids(response) -> list[str]:
    return re.findall(r'<tr id="fax-([0-9a-f-]{36})"', response.content.decode())


@pytest.fixture
def numbers(alice, bob):
    return make_number("+12065550100", alice), make_number("+13125550100", bob)


@pytest.fixture
def faxes(numbers):
    t0 = datetime(2026, 11, 10, 12, tzinfo=UTC)

    def at(days):
        return (t0 + timedelta(days=days)).isoformat()

    return {
        "in_ok": make_fax(
            direction="inbound",
            status="success",
            faxNumber="+12065550100",
            faxCallerId="+17185550111",
            faxCsid="MERCY CLINIC",
            createdAt=at(0),
        ),
        "out_failed": make_fax(
            direction="outbound",
            status="failed",
            faxNumber="+14155550123",
            faxCallerId="+12065550100",
            subject="Lab results",
            errorInfo="Busy",
            recipientName="Dr. Patel",
            createdAt=at(1),
            cf={"chart": "A-778"},
        ),
        "out_open": make_fax(
            direction="outbound",
            status="processing",
            faxNumber="+16175550199",
            faxCallerId="+12065550100",
            subject="Referral",
            createdAt=at(2),
            tags=["urgent"],
            cf={"ref": "2026-1180"},
        ),
        "archived": make_fax(
            direction="inbound",
            status="success",
            faxNumber="+12065550100",
            isArchived=True,
            createdAt=at(3),
        ),
        "bobs": make_fax(
            direction="inbound",
            status="success",
            faxNumber="+13125550100",
            createdAt=at(4),
            subject="Lab results",
        ),
    }


def names(response, faxes) -> list[str]:
    by_id = {str(f.message_id): name for name, f in faxes.items()}
    return [by_id[i] for i in ids(response)]


def test_history_lists_the_members_faxes_newest_first_without_archived(alice_client, faxes):
    response = alice_client.get("/faxes/")
    assert response.status_code == 200
    assert names(response, faxes) == ["out_open", "out_failed", "in_ok"]
    body = response.content.decode()
    assert "(415) 555-0123" in body and "Dr. Patel" in body and "Busy" in body
    assert "3 faxes" in body


def test_staff_see_every_members_faxes(staff_client, faxes):
    assert set(names(staff_client.get("/faxes/"), faxes)) == {
        "in_ok",
        "out_failed",
        "out_open",
        "bobs",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("direction=inbound", ["in_ok"]),
        ("direction=outbound", ["out_open", "out_failed"]),
        ("status=failed", ["out_failed"]),
        ("status=open", ["out_open"]),
        ("archived=yes", ["archived"]),
        ("archived=all", ["archived", "out_open", "out_failed", "in_ok"]),
        ("date_from=2026-11-11&date_to=2026-11-11", ["out_failed"]),
        ("date_from=2026-11-11", ["out_open", "out_failed"]),
        ("tag=urgent", ["out_open"]),
        ("q=lab", ["out_failed"]),
        ("q=(415)%20555-0123", ["out_failed"]),
        ("q=mercy", ["in_ok"]),
        ("q=7185550111", ["in_ok"]),
        ("q=17185550111", ["in_ok"]),
        ("q=%2B17185550111", ["in_ok"]),
        ("q=A-778", ["out_failed"]),
        ("q=2026-1180", ["out_open"]),  # digits and punctuation, found as typed
        ("q=patel", ["out_failed"]),
        ("direction=outbound&status=failed&date_from=2026-11-11", ["out_failed"]),
        ("direction=inbound&status=failed", []),
    ],
)
def test_each_filter_narrows_the_list(alice_client, faxes, query, expected):
    assert names(alice_client.get(f"/faxes/?{query}"), faxes) == expected


def test_search_by_message_id_finds_exactly_that_fax(alice_client, faxes):
    mid = faxes["in_ok"].message_id
    assert names(alice_client.get(f"/faxes/?q={mid}"), faxes) == ["in_ok"]


def test_search_never_reaches_another_members_fax(alice_client, faxes):
    assert names(alice_client.get("/faxes/?q=lab"), faxes) == ["out_failed"]
    mid = faxes["bobs"].message_id
    assert names(alice_client.get(f"/faxes/?q={mid}"), faxes) == []


def test_filter_by_our_number_offers_only_my_numbers(alice_client, faxes, numbers):
    mine, bobs = numbers
    body = alice_client.get("/faxes/").content.decode()
    assert str(mine.uuid) in body and str(bobs.uuid) not in body
    response = alice_client.get(f"/faxes/?number={mine.uuid}&direction=inbound")
    assert names(response, faxes) == ["in_ok"]
    response = alice_client.get(f"/faxes/?number={bobs.uuid}")
    assert "Select a valid choice" in response.content.decode()
    assert names(response, faxes) == ["out_open", "out_failed", "in_ok"]


def test_dates_follow_the_users_time_zone(alice, alice_client, numbers):
    from drenfax_portal.accounts.services import profile_for

    profile = profile_for(alice)
    profile.timezone = "America/Los_Angeles"
    profile.save()
    # 2026-11-10 03:00 UTC is still Nov 9 in Los Angeles.
    fax = make_fax(direction="inbound", faxNumber="+12065550100", createdAt="2026-11-10T03:00:00Z")
    assert ids(alice_client.get("/faxes/?date_from=2026-11-09&date_to=2026-11-09")) == [
        str(fax.message_id)
    ]
    assert ids(alice_client.get("/faxes/?date_from=2026-11-10")) == []
    assert "Nov 9, 2026 19:00" in alice_client.get("/faxes/").content.decode()


def test_bad_filter_values_are_reported_and_ignored(alice_client, faxes):
    response = alice_client.get("/faxes/?date_from=banana&status=lost&date_to=2026-11-01")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Enter a valid date" in body and "Select a valid choice" in body
    assert names(response, faxes) == []  # date_to alone still applies


def test_a_reversed_date_range_is_refused_with_a_message(alice_client, faxes):
    response = alice_client.get("/faxes/?date_from=2026-11-12&date_to=2026-11-10")
    assert "end date is before the start date" in response.content.decode()


def sixty_payloads() -> list[dict]:
    """60 faxes, three to a whole minute, to test the (created_at, id) keyset."""
    stamp = datetime(2026, 11, 1, tzinfo=UTC)
    return [
        fax_payload(createdAt=(stamp + timedelta(minutes=i // 3)).isoformat()) for i in range(60)
    ]


@pytest.mark.parametrize("created_by", ["one by one", "a sync page"])
def test_pages_walk_older_and_back_newer_without_gaps_or_repeats(staff_client, numbers, created_by):
    # A sync page takes the bulk insert, which must store times as the ORM does.
    if created_by == "a sync page":
        fax_merge_payloads(sixty_payloads(), source="sync")
    else:
        for payload in sixty_payloads():
            fax_merge_payloads([payload], source="sync")
    expected = list(Fax.objects.order_by("-created_at", "-id").values_list("message_id", flat=True))
    expected = [str(m) for m in expected]

    page1 = staff_client.get("/faxes/")
    assert ids(page1) == expected[:25]
    older = re.search(r'rel="next" href="\?([^"]+)"', page1.content.decode()).group(1)
    page2 = staff_client.get("/faxes/?" + older.replace("&amp;", "&"))
    assert ids(page2) == expected[25:50]
    older = re.search(r'rel="next" href="\?([^"]+)"', page2.content.decode()).group(1)
    page3 = staff_client.get("/faxes/?" + older.replace("&amp;", "&"))
    assert ids(page3) == expected[50:]
    assert 'rel="next"' not in page3.content.decode()
    newer = re.search(r'rel="prev" href="\?([^"]+)"', page3.content.decode()).group(1)
    assert ids(staff_client.get("/faxes/?" + newer.replace("&amp;", "&"))) == expected[25:50]
    assert 'hx-get="/faxes/count/?' in page1.content.decode()  # counted after the page
    assert "60 faxes" in staff_client.get("/faxes/count/", headers=HTMX).content.decode()


def test_the_count_stops_at_its_limit(staff_client, numbers, monkeypatch):
    monkeypatch.setattr("faxes.views.history.COUNT_LIMIT", 3)
    monkeypatch.setattr("faxes.selectors.COUNT_LIMIT", 3)
    for _ in range(5):
        make_fax()
    assert "More than 3 faxes" in staff_client.get("/faxes/count/", headers=HTMX).content.decode()


def test_the_count_follows_filters_and_the_access_rule(alice_client, faxes):
    body = alice_client.get("/faxes/count/?direction=outbound", headers=HTMX).content.decode()
    assert "2 faxes match these filters" in body


def test_a_garbled_cursor_shows_the_first_page(alice_client, faxes):
    response = alice_client.get("/faxes/?before=garbage&after=2026_x")
    assert names(response, faxes) == ["out_open", "out_failed", "in_ok"]


def test_htmx_gets_only_the_results_and_the_url_reproduces_the_view(alice_client, faxes):
    partial = alice_client.get(
        "/faxes/?status=failed", headers={"HX-Request": "true", "HX-Target": "results"}
    )
    full = alice_client.get("/faxes/?status=failed")
    assert "<html" not in partial.content.decode()
    assert partial.content.decode().lstrip().startswith('<div id="results"')
    assert "<html" in full.content.decode()
    assert ids(partial) == ids(full) == [str(faxes["out_failed"].message_id)]
    form = re.search(r"<form[^>]*role=\"search\"[^>]*>", full.content.decode()).group(0)
    assert 'hx-push-url="true"' in form and 'method="get"' in form


def results_trigger(body: str) -> str:
    return re.search(r'<div id="results"[^>]*hx-trigger="([^"]*)"', body)[1]


def test_the_first_page_reloads_itself_while_a_fax_on_it_is_unfinished(alice_client, faxes):
    # One request every 5 s for the page, not one every 3 s for each unfinished row.
    body = alice_client.get("/faxes/").content.decode()
    row = re.search(rf'<tr id="fax-{faxes["out_open"].message_id}"[^>]*>', body).group(0)
    assert "hx-trigger" not in row
    assert "every 5s" in results_trigger(body)
    finished = alice_client.get("/faxes/?status=failed").content.decode()
    assert "every 15s" in results_trigger(finished)


def test_open_rows_of_an_older_page_poll_and_stop_once_finished(alice_client, faxes):
    fax = faxes["out_open"]
    newer = make_fax(
        direction="outbound",
        status="success",
        faxCallerId="+12065550100",
        createdAt=(timezone.now() + timedelta(hours=1)).isoformat(),
    )
    body = alice_client.get(f"/faxes/?before={encode_cursor(newer)}").content.decode()
    assert "every" not in results_trigger(body)  # an older page does not reload itself
    row = re.search(rf'<tr id="fax-{fax.message_id}"[^>]*>', body).group(0)
    assert "every 3s" in row and f"/faxes/{fax.message_id}/row/" in row
    done = re.search(rf'<tr id="fax-{faxes["in_ok"].message_id}"[^>]*>', body).group(0)
    assert "hx-trigger" not in done

    make_fax(
        messageId=str(fax.message_id),
        status="success",
        pagesComplete=3,
        direction="outbound",
        faxCallerId="+12065550100",
    )
    row = alice_client.get(f"/faxes/{fax.message_id}/row/", headers=HTMX)
    html = row.content.decode()
    assert "Delivered" in html and "hx-trigger" not in html


def test_refresh_asks_the_worker_without_calling_the_api(alice_client, api, faxes):
    response = alice_client.post("/faxes/refresh/", headers=HTMX)
    assert response.status_code == 200
    assert "Refreshing" in response.content.decode()
    assert SyncState.objects.get().refresh_requested_at is not None
    assert len(api.calls) == 0


def test_the_count_and_sync_status_typed_into_the_address_bar_lead_to_the_history(
    alice_client, faxes
):
    count = alice_client.get("/faxes/count/?direction=outbound&q=pat")
    assert count.status_code == 302
    assert count["Location"] == "/faxes/?direction=outbound&q=pat"
    assert alice_client.get("/faxes/count/")["Location"] == "/faxes/"
    assert alice_client.get("/faxes/sync-status/")["Location"] == "/faxes/"


def test_sync_status_triggers_a_reload_once_the_worker_ran(alice_client, faxes, settings):
    from django.utils import timezone

    alice_client.post("/faxes/refresh/", headers=HTMX)
    state = SyncState.objects.get()
    pending = alice_client.get("/faxes/sync-status/?after_refresh=1", headers=HTMX)
    assert "HX-Trigger" not in pending
    state.last_attempt_at = state.last_success_at = timezone.now()
    state.save()
    done = alice_client.get("/faxes/sync-status/?after_refresh=1", headers=HTMX)
    assert done["HX-Trigger"] == "faxes-synced"
    assert "Last synced" in done.content.decode()


def test_refresh_without_javascript_redirects_back(alice_client, faxes):
    response = alice_client.post("/faxes/refresh/", {"next": "/faxes/?status=failed"})
    assert response.status_code == 302 and response["Location"] == "/faxes/?status=failed"


def test_refresh_ignores_a_foreign_next_url(alice_client, faxes):
    response = alice_client.post("/faxes/refresh/", {"next": "https://evil.example/"})
    assert response["Location"] == "/faxes/"


def test_csv_export_follows_the_filter_and_the_access_rule(alice_client, faxes):
    make_fax(direction="outbound", faxCallerId="+12065550100", subject="=HYPERLINK(1)")
    response = alice_client.get("/faxes/export.csv?direction=outbound")
    assert response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "Message id"
    subjects = {r[9] for r in rows[1:]}
    assert subjects == {"Lab results", "Referral", "'=HYPERLINK(1)"}
    assert str(faxes["bobs"].message_id) not in {r[0] for r in rows}


@pytest.mark.parametrize("subject", ["|calc", "%0A", "-2+3", "+1 (206)", "@SUM(A1)", "+1\u00b2"])
def test_csv_export_keeps_numbers_as_they_are_and_defuses_every_formula(
    alice_client, faxes, subject
):
    make_fax(direction="outbound", faxCallerId="+12065550100", subject=subject)
    response = alice_client.get("/faxes/export.csv?direction=outbound")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert "'" + subject in {r[9] for r in rows[1:]}
    assert "+12065550100" in {r[8] for r in rows[1:]}


def test_a_page_costs_the_same_few_queries_whatever_it_shows(
    alice_client, faxes, django_assert_max_num_queries
):
    for i in range(30):
        make_fax(
            direction="outbound",
            status="failed",
            faxCallerId="+12065550100",
            errorInfo="Busy",
            subject=f"Subject {i}",
            tags=["x"],
            cf={"k": "v"},
        )
    alice_client.get("/faxes/")  # the session's first page also looks up its settings
    # Session, user, the user's numbers (filter choices), on PostgreSQL their ids (for the
    # planner: see faxes.selectors.visible_faxes), the page of faxes (assignees joined), the
    # contacts of its numbers: no query per row, so the columns the rows show are all among
    # ROW_FIELDS.
    with django_assert_max_num_queries(6 if connection.vendor == "postgresql" else 5):
        response = alice_client.get("/faxes/")
    assert len(ids(response)) == 25
