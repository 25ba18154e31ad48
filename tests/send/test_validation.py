"""Every check of the send form: a mistake is shown with its reason and nothing is sent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from drenfax_portal.accounts.models import Profile
from faxes.forms import check_recipients
from faxes.models import Submission
from tests.client.conftest import fields, multipart
from tests.conftest import API_URL
from tests.factories import make_number
from tests.send.helpers import fax_answer, post, sent_once, text

pytestmark = pytest.mark.django_db


def assert_nothing_sent(api) -> None:
    assert sent_once(api) == []
    assert not Submission.objects.exists()


# --- recipients ----------------------------------------------------------------------------


def test_recipients_are_split_normalised_and_deduplicated():
    check = check_recipients(
        "206-555-0111; (206) 555-0111\n+1 206 555 0111,, 312.555.0122\r\n+44 20 7946 0000"
    )
    assert check.numbers == ["+12065550111", "+13125550122", "+442079460000"]
    assert [e.typed for e in check.duplicates] == ["(206) 555-0111", "+1 206 555 0111"]
    assert not check.bad


def test_each_bad_recipient_is_flagged_with_its_reason():
    check = check_recipients("12, fax me, +999 555 0100, 206-555-0111")
    assert [(e.typed, e.problem) for e in check.bad] == [
        ("12", "wrong number of digits"),
        ("fax me", "not a number"),
        ("+999 555 0100", "unknown country code"),
    ]
    assert check.numbers == ["+12065550111"]


def test_bad_numbers_are_refused_inline_and_nothing_is_sent(alice_client, covers):
    response = post(alice_client, recipients="206-555-0111, 12\nfax me")
    page = text(response)
    assert response.status_code == 200
    assert "Nothing was sent" in page
    assert "Not fax numbers: “12” (wrong number of digits); “fax me” (not a number)" in page
    assert "206-555-0111, 12\nfax me</textarea>" in page  # kept as typed, to correct
    assert_nothing_sent(covers)


def test_the_recipient_check_answers_htmx_with_its_fragment(alice_client):
    response = alice_client.post(
        "/faxes/send/recipients/",
        {"recipients": "206 555 0111, (206) 555-0111, 12"},
        headers={"HX-Request": "true"},
    )
    fragment = text(response)
    assert fragment.lstrip().startswith('<div id="recipients-check"')
    assert "<html" not in fragment
    assert '1 number ready, 1 duplicate left out, <strong class="bad">1 not valid' in fragment
    assert "(206) 555-0111" in fragment and "+12065550111" in fragment
    assert "listed twice, faxed once" in fragment and "wrong number of digits" in fragment


def test_duplicates_are_sent_once(alice_client, covers):
    covers.post(f"{API_URL}/v1/faxes/multiple", json={"success": [fax_answer()], "errors": []})
    post(alice_client, recipients="206-555-0111\n(206) 555-0111\n312 555 0122")
    [call] = sent_once(covers)
    assert dict(fields(multipart(call.request)))["recipientFax"] == "+12065550111,+13125550122"


def test_an_empty_recipient_list_is_refused(alice_client, covers):
    page = text(post(alice_client, recipients=" ,; \n"))
    assert "Enter at least one fax number." in page
    assert_nothing_sent(covers)


def test_too_many_recipients_are_refused(alice_client, covers):
    numbers = "\n".join(f"+1206555{n:04d}" for n in range(101))
    page = text(post(alice_client, recipients=numbers))
    assert "At most 100 recipients per send (101 given)" in page
    assert_nothing_sent(covers)


def test_a_contact_id_must_be_an_id(alice_client, covers):
    page = text(post(alice_client, recipient_contacts="Dr Patel"))
    assert "“Dr” is not a contact id" in page
    assert_nothing_sent(covers)


# --- cover page fields ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "limit"),
    [("recipient_name", 40), ("sender_name", 40), ("subject", 55), ("notes", 4000)],
)
def test_each_cover_field_is_limited_server_side(alice_client, covers, name, limit):
    page = text(post(alice_client, **{name: "x" * (limit + 1)}))
    assert f"At most {limit} characters (this has {limit + 1})." in page
    assert_nothing_sent(covers)


def test_fields_at_their_limits_are_sent_whole(alice_client, covers):
    covers.post(f"{API_URL}/v1/faxes", json=fax_answer())
    notes = "n" * 3990 + "\r\n" + "m" * 9  # 4000 characters once the line break counts one
    post(alice_client, recipient_name="r" * 40, sender_name="s" * 40, subject="t" * 55, notes=notes)
    [call] = sent_once(covers)
    sent = dict(fields(multipart(call.request)))
    assert len(sent["recipientName"]) == 40 and len(sent["senderName"]) == 40
    assert len(sent["subject"]) == 55
    assert sent["notes"] == "n" * 3990 + "\n" + "m" * 9


def test_a_fax_needs_a_file_or_a_cover_page(alice_client, covers):
    page = text(post(alice_client, cover_page=""))
    assert "Add a file to send, or a cover page (or both)." in page
    assert_nothing_sent(covers)


def test_an_unknown_cover_page_is_refused(alice_client, covers):
    page = text(post(alice_client, cover_page="d1077489-5ea1-4db1-9760-853f175e8288"))
    assert "That cover page is not available" in page
    assert_nothing_sent(covers)


# --- options --------------------------------------------------------------------------------


def test_another_members_number_cannot_be_the_caller_id(alice_client, covers, bob):
    bobs = make_number("+13125550199", bob)
    page = text(post(alice_client, caller_id=str(bobs.uuid)))
    assert "Select a valid choice" in page
    assert_nothing_sent(covers)


def test_a_number_drenfax_cannot_show_as_caller_id_is_refused(alice_client, covers, alice):
    london = make_number("+442079460000", alice)
    page = text(post(alice_client, caller_id=str(london.uuid)))
    assert "cannot be a caller id" in page
    assert_nothing_sent(covers)


def test_custom_fields_need_names_and_distinct_ones(alice_client, covers):
    page = text(
        post(alice_client, cf_key=["chart", "chart", ""], cf_value=["A-1", "A-2", "orphan"])
    )
    assert "Custom fields: “chart” is given twice; the value “orphan” needs a name." in page
    assert 'value="orphan"' in page  # the rows come back as typed
    assert_nothing_sent(covers)


def test_too_many_tags_are_refused(alice_client, covers):
    page = text(post(alice_client, tags=",".join(f"t{n}" for n in range(21))))
    assert "At most 20 tags." in page
    assert_nothing_sent(covers)


# --- schedule ---------------------------------------------------------------------------------


def test_a_time_in_the_past_is_refused(alice_client, covers, alice):
    Profile.objects.update_or_create(user=alice, defaults={"timezone": "America/Chicago"})
    page = text(post(alice_client, scheduled_at="2020-01-15T09:30"))
    assert "That time has passed" in page and "America/Chicago" in page
    assert_nothing_sent(covers)


@pytest.mark.parametrize(
    ("zone", "typed", "utc"),
    [
        ("America/Chicago", "2099-01-15T09:30", datetime(2099, 1, 15, 15, 30, tzinfo=UTC)),
        ("America/Chicago", "2099-07-15T09:30", datetime(2099, 7, 15, 14, 30, tzinfo=UTC)),
        ("Asia/Kolkata", "2099-01-15 09:30", datetime(2099, 1, 15, 4, 0, tzinfo=UTC)),
        ("", "2099-01-15T09:30", datetime(2099, 1, 15, 9, 30, tzinfo=UTC)),  # server zone
    ],
)
def test_the_schedule_is_read_in_the_users_time_zone(alice_client, covers, alice, zone, typed, utc):
    Profile.objects.update_or_create(user=alice, defaults={"timezone": zone})
    covers.post(f"{API_URL}/v1/faxes", json=fax_answer(status="scheduled"))
    post(alice_client, scheduled_at=typed)
    [call] = sent_once(covers)
    sent = dict(fields(multipart(call.request)))
    assert sent["scheduledDate"] == utc.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_a_time_that_does_not_exist_in_the_users_zone_is_refused(alice_client, covers, alice):
    Profile.objects.update_or_create(user=alice, defaults={"timezone": "America/Chicago"})
    page = text(post(alice_client, scheduled_at="2030-03-10T02:30"))  # clocks jump 2:00 -> 3:00
    assert "does not exist in America/Chicago" in page
    assert_nothing_sent(covers)


def test_an_unreadable_time_is_refused(alice_client, covers):
    page = text(post(alice_client, scheduled_at="next tuesday"))
    assert "Enter the date and time like 2030-01-31 14:30." in page
    assert_nothing_sent(covers)


@pytest.mark.parametrize(
    ("zone", "typed"),
    [
        ("America/Los_Angeles", "9999-12-31T23:59"),  # UTC would be in the year 10000
        ("Asia/Tokyo", "0001-01-01T00:00"),  # UTC would be before the year 1
        ("", "3000-01-01T00:00"),
    ],
)
def test_a_schedule_outside_the_years_the_portal_serves_is_refused_with_the_range(
    alice_client, covers, alice, zone, typed
):
    Profile.objects.update_or_create(user=alice, defaults={"timezone": zone})
    page = text(post(alice_client, scheduled_at=typed))
    assert "Enter a date between 1970-01-01 and 2999-12-31." in page
    assert f'value="{typed}"' in page
    assert_nothing_sent(covers)


def test_the_form_comes_back_filled_in_after_a_mistake(alice_client, covers):
    page = text(
        post(
            alice_client,
            recipients="12",
            subject="Lab results",
            notes="Call back",
            tags="urgent",
            cf_key=["chart"],
            cf_value=["A-778"],
            scheduled_at="2099-01-15T09:30",
        )
    )
    for value in [
        'value="Lab results"',
        "Call back</textarea>",
        'value="urgent"',
        'value="chart"',
        'value="A-778"',
        'value="2099-01-15T09:30"',
        'value="default" checked',
    ]:
        assert value in page, value


def test_staff_may_choose_the_webhook_of_a_fax(staff_client, covers):
    covers.post(f"{API_URL}/v1/faxes", json=fax_answer())
    webhook = "D1077489-5EA1-4DB1-9760-853F175E8288"
    assert 'name="webhook_id"' in text(staff_client.get("/faxes/send/"))
    post(staff_client, webhook_id=webhook)
    [call] = sent_once(covers)
    assert dict(fields(multipart(call.request)))["webhookId"] == webhook.lower()


def test_members_do_not_choose_webhooks(alice_client, covers):
    assert 'name="webhook_id"' not in text(alice_client.get("/faxes/send/"))
    page = text(post(alice_client, webhook_id="d1077489-5ea1-4db1-9760-853f175e8288"))
    assert "Only staff choose the webhook of a fax." in page
    assert_nothing_sent(covers)
