"""The cache merge is order-safe and idempotent."""

from __future__ import annotations

import json

import pytest

from faxes.models import Fax, FaxEvent
from faxes.payload import InvalidPayload
from faxes.services.cache import fax_merge_payloads
from tests.factories import fax_payload, make_number

pytestmark = pytest.mark.django_db


def merge(payload, **kwargs):
    return fax_merge_payloads([payload], source="webhook", **kwargs).outcomes[0]


def test_a_new_fax_is_created_with_a_first_event():
    payload = fax_payload(status="processing")
    outcome = merge(payload)
    assert outcome.created
    fax = Fax.objects.get(message_id=payload["messageId"])
    assert fax.status == "processing"
    assert fax.fax_number.startswith("+1206555")
    assert fax.fax_caller_id == "+15094570051"
    assert list(fax.events.values_list("status", "source")) == [("processing", "webhook")]


def test_the_same_report_twice_changes_nothing_the_second_time():
    payload = fax_payload(status="transmitting", pagesComplete=1)
    merge(payload)
    second = merge(dict(payload))
    assert not second.created and not second.changed and not second.stale
    assert FaxEvent.objects.count() == 1


def test_forward_progress_adds_one_event_per_change():
    payload = fax_payload(status="processing")
    merge(payload)
    merge({**payload, "status": "transmitting", "pagesComplete": 1})
    merge({**payload, "status": "transmitting", "pagesComplete": 2})
    merge({**payload, "status": "success", "pagesComplete": 3, "resultCode": "0"})
    fax = Fax.objects.get(message_id=payload["messageId"])
    assert fax.status == "success" and fax.pages_complete == 3 and fax.result_code == "0"
    assert list(fax.events.values_list("status", "pages_complete")) == [
        ("processing", 0),
        ("transmitting", 1),
        ("transmitting", 2),
        ("success", 3),
    ]


def test_a_terminal_status_never_goes_back():
    payload = fax_payload(status="success", pagesComplete=3)
    merge(payload)
    outcome = merge({**payload, "status": "processing", "pagesComplete": 0}, record_stale=True)
    assert outcome.stale
    fax = Fax.objects.get(message_id=payload["messageId"])
    assert fax.status == "success" and fax.pages_complete == 3
    stale = fax.events.get(applied=False)
    assert stale.status == "processing"


def test_a_terminal_status_does_not_flip_to_another_terminal_status():
    payload = fax_payload(status="failed", resultCode="17")
    merge(payload)
    assert merge({**payload, "status": "success"}).stale
    assert Fax.objects.get(message_id=payload["messageId"]).status == "failed"


def test_pages_complete_never_decreases():
    payload = fax_payload(status="transmitting", pagesComplete=3)
    merge(payload)
    assert merge({**payload, "pagesComplete": 2}).stale
    assert Fax.objects.get(message_id=payload["messageId"]).pages_complete == 3


def test_a_missing_pages_complete_keeps_the_known_value():
    payload = fax_payload(status="transmitting", pagesComplete=2)
    merge(payload)
    merge({**payload, "status": "success", "pagesComplete": None})
    fax = Fax.objects.get(message_id=payload["messageId"])
    assert fax.status == "success" and fax.pages_complete == 2


def test_stale_reports_are_not_recorded_unless_asked():
    payload = fax_payload(status="success")
    merge(payload)
    merge({**payload, "status": "processing"})
    assert FaxEvent.objects.filter(applied=False).count() == 0


def test_inbound_fax_links_to_the_receiving_number(alice):
    number = make_number("+12065550100", alice)
    fax = merge(fax_payload(direction="inbound", faxNumber="+12065550100", faxCallerId="")).fax
    assert fax.number == number


def test_a_number_no_longer_on_the_account_is_not_linked_but_its_successor_is(alice):
    make_number("+12065550100", alice, state="removed")
    payload = fax_payload(direction="inbound", faxNumber="+12065550100", faxCallerId="")
    assert merge(payload).fax.number is None
    again = make_number("+12065550100", alice)
    payload = fax_payload(direction="inbound", faxNumber="+12065550100", faxCallerId="")
    assert merge(payload).fax.number == again


def test_outbound_fax_links_to_the_caller_id_number(alice):
    number = make_number("+15094570051", alice)
    fax = merge(fax_payload(direction="outbound", faxCallerId="5094570051")).fax
    assert fax.number == number


def test_a_number_learned_later_links_earlier_faxes(alice):
    from fax_numbers.services import number_upsert
    from faxes.services.sync import faxes_link_numbers

    fax = merge(fax_payload(direction="inbound", faxNumber="+12065550100")).fax
    sent = merge(fax_payload(direction="outbound", faxCallerId="2065550100")).fax
    other = merge(fax_payload(direction="inbound", faxNumber="+12065550199")).fax
    assert fax.number is None
    number = number_upsert({"uuid": "04d651f6-5092-44a1-bbd4-822a0ab43d29", "number": "2065550100"})
    assert faxes_link_numbers() == 2
    for linked in (fax, sent, other):
        linked.refresh_from_db()
    assert fax.number == number == sent.number
    assert other.number is None


def test_sender_is_kept_once_set(alice, bob):
    payload = fax_payload()
    fax_merge_payloads([payload], source="portal", sent_by=alice)
    fax_merge_payloads([{**payload, "status": "success"}], source="sync", sent_by=bob)
    assert Fax.objects.get(message_id=payload["messageId"]).sent_by == alice


@pytest.mark.parametrize(
    "bad",
    [
        [],
        "text",
        {"status": "success", "direction": "outbound"},
        {"messageId": "not-a-uuid", "status": "success", "direction": "outbound"},
        {"messageId": "027012f1-80c9-4be5-b093-1f54783dfa3b", "status": "lost"},
        {"messageId": "027012f1-80c9-4be5-b093-1f54783dfa3b", "status": "success"},
    ],
)
def test_a_payload_that_is_not_a_fax_is_refused(bad):
    with pytest.raises(InvalidPayload):
        merge(bad)
    assert Fax.objects.count() == 0


def test_invalid_rows_can_be_skipped_without_losing_the_rest():
    good = fax_payload()
    report = fax_merge_payloads([{"nope": 1}, good], source="sync", skip_invalid=True)
    assert report.invalid == 1 and report.created == 1


def test_odd_provider_types_are_coerced_not_fatal():
    payload = fax_payload(
        pagesCount="3",
        pagesComplete=True,
        duration=-5,
        faxSpeed="fast",
        faxECM=256,
        createdAt="yesterday",
        tags=[{"name": "urgent"}, "billing", 5],
        cf="not a dict",
        subject={"nested": 1},
    )
    fax = merge(payload).fax
    assert fax.pages_count == 3 and fax.pages_complete is None
    assert fax.duration is None and fax.fax_speed is None and fax.fax_ecm == 256
    assert fax.tags == ["urgent", "billing"]
    assert fax.custom_fields == {} and fax.subject == ""


@pytest.mark.parametrize("count", [1, 3])
def test_our_send_answered_after_the_webhook_moved_the_faxes_on_still_records_the_sender(
    alice, count
):
    """The provider's webhooks may beat our own merge of the send's answer: the answer is
    then stale, but the faxes are still ours and their sender must see them."""
    sent = [fax_payload(direction="outbound", status="processing") for _ in range(count)]
    fax_merge_payloads(
        [{**p, "status": "transmitting", "pagesComplete": 1} for p in sent], source="webhook"
    )
    report = fax_merge_payloads(sent, source="portal", sent_by=alice)
    assert all(o.stale for o in report.outcomes)
    faxes = Fax.objects.filter(message_id__in=[p["messageId"] for p in sent])
    assert [(f.sent_by, f.status) for f in faxes] == [(alice, "transmitting")] * count


def test_a_fax_created_by_another_worker_meanwhile_is_updated_and_the_others_created(
    monkeypatch,
):
    theirs = fax_payload(status="processing")
    merge(theirs)
    ours = fax_payload(status="processing")
    # The other worker's row appears after our select found nothing.
    real = Fax.objects.select_for_update
    calls = []

    def unlucky_select():
        calls.append(1)
        return real().none() if len(calls) == 1 else real()

    monkeypatch.setattr(Fax.objects, "select_for_update", unlucky_select)
    report = fax_merge_payloads([{**theirs, "status": "success"}, ours], source="sync")
    assert [o.created for o in report.outcomes] == [False, True]
    assert Fax.objects.get(message_id=theirs["messageId"]).status == "success"
    assert Fax.objects.count() == 2
    assert FaxEvent.objects.filter(note="first seen").count() == 2


def test_a_history_row_with_nul_bytes_is_stored_without_them():
    # PostgreSQL refuses NUL in text: one such row made every sync step fail.
    payload = fax_payload(subject="a\x00b", cf=json.dumps({"k": "v\u0000w"}), tags=["x\x00"])
    fax_merge_payloads([payload], source="sync", skip_invalid=True)
    fax = Fax.objects.get()
    assert (fax.subject, fax.custom_fields, fax.tags) == ("ab", {"k": "vw"}, ["x"])
    assert "\x00" not in fax.search_text
