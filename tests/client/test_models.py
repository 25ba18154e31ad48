"""The reference's example responses parse into typed dataclasses; odd values never crash."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from drenfax_portal.client import (
    Account,
    AvailableNumber,
    BatchResult,
    CoverPage,
    Fax,
    FaxBridge,
    FaxNumber,
    HistoryPage,
    NumbersPage,
    User,
)

from . import examples


def load(text: str):
    return json.loads(text)


def test_send_fax_example_parses_into_a_fax():
    data = load(examples.SEND_FAX)
    fax = Fax.from_api(data)

    assert fax.message_id == "59e02992-ee7b-42c1-82c7-87db964d8d6f"
    assert fax.status == "processing"
    assert fax.processing_status_name == "processing"
    assert fax.classification_label == "outbound"
    assert fax.direction == "outbound"
    assert fax.channel_type == "api"
    assert fax.pages_count == 1
    assert fax.pages_complete == 0
    assert fax.fax_number == "+19206505920"
    assert fax.fax_csid == "mFax"
    assert fax.fax_caller_id == "5094570000"
    assert fax.result_code == "0"
    assert fax.result_info == "OK"
    assert fax.error_info is None
    assert fax.is_archived is False
    assert fax.is_file_purged is False
    assert fax.is_read is None  # absent from this example
    assert fax.country == "US"
    assert fax.created_at == datetime(2021, 6, 2, 13, 35, 18, tzinfo=UTC)
    assert fax.created_at.tzinfo is not None
    assert fax.resolved_date is None
    assert fax.faxbridge_id is None
    assert fax.faxbridge is None
    assert fax.account == Account(
        uuid="efaa36f7-d9a0-493f-a3aa-0cb1114eea0c",
        account_number="1201734191",
        account_name="Drensys",
        account_type="master",
        raw=data["account"],
    )
    assert fax.users == [
        User(
            user_id="c7ef70fc-7563-4b47-95bc-a951a636bb71",
            account_id="efaa36f7-d9a0-493f-a3aa-0cb1114eea0c",
            email="test@tester.com",
            first_name="Test",
            last_name="Tester",
            raw=data["users"][0],
        )
    ]
    assert fax.users[0].raw["UserFax"] == {"viewStatus": True, "downloadStatus": False}
    assert fax.tags == []
    assert fax.contacts == []
    assert fax.custom_fields == {}
    assert fax.raw == data
    assert not fax.is_terminal


def test_multiple_example_parses_successes_and_errors():
    result = BatchResult.from_api(load(examples.SEND_MULTIPLE))

    [fax] = result.success
    assert fax.message_id == "027012f1-80c9-4be5-b093-1f54783dfa3b"
    assert fax.status == "success"
    assert fax.is_terminal
    assert fax.delivery_id == "2180614133420933276"
    assert fax.message_number == "8900000"
    assert fax.duration == 86318
    assert fax.fax_attempt == 1
    assert fax.fax_detected is True
    assert fax.fax_ecm == 256
    assert fax.fax_protocol == 34
    assert fax.fax_speed == 33600
    assert fax.resolved_date == datetime(2021, 1, 1, 12, 0, 30, tzinfo=UTC)
    assert fax.custom_fields == {"customField": "value"}
    assert fax.users == []
    [error] = result.errors
    assert error.error == "InvalidInputError: No files and cover page in to send."
    assert error.recipient_fax == "12015234232"


def test_resend_example_reads_a_numeric_faxbridge_id_as_a_string():
    result = BatchResult.from_api(load(examples.RESEND))

    [fax] = result.success
    assert fax.faxbridge_id == "210000000000"
    assert fax.faxbridge == FaxBridge(
        device_code="210000000000",
        name="FaxBridge",
        is_active=True,
        raw={"deviceCode": "210000000000", "name": "FaxBridge", "isActive": True},
    )
    assert result.errors == []


def test_cancel_example_parses_a_cancelled_fax_with_null_pages_complete():
    fax = Fax.from_api(load(examples.CANCEL))

    assert fax.status == "cancelled"
    assert fax.is_terminal
    assert fax.pages_complete is None
    assert fax.pages_count == 3
    assert fax.result_code is None
    assert fax.is_read is False
    assert fax.custom_fields is None  # no `cf` in this example


def test_update_fax_example_parses():
    fax = Fax.from_api(load(examples.UPDATE_FAX))
    assert fax.is_archived is False
    assert fax.faxbridge_id == "210000000000"


def test_history_example_reads_count_from_a_string():
    page = HistoryPage.from_api(load(examples.HISTORY))

    assert page.count == 99
    assert [fax.message_id for fax in page.rows] == ["027012f1-80c9-4be5-b093-1f54783dfa3b"]
    assert page.raw["query"] == {"limit": 0, "offset": 20}


def test_fax_info_example_parses_users_and_account_of_another_shape():
    fax = Fax.from_api(load(examples.FAX_INFO))

    assert fax.account_id == "00000000-0000-0000-0000-000000000000"
    assert [user.email for user in fax.users] == ["john@snow.com"]
    assert fax.users[0].user_id == "7b667809-c88f-4a27-b1fe-2cc932401e15"
    assert fax.account.support_code == "1201800000"
    assert fax.account.company_name == "Winterfell"
    assert fax.account.account_name is None


def test_cover_pages_example_parses():
    [page] = [CoverPage.from_api(item) for item in load(examples.COVER_PAGES)]

    assert page.uuid == "00000000-0000-0000-0000-000000000000"
    assert page.name == "Default"
    assert page.template.startswith("Fax Transmission")
    assert "${tokens.recipientName}" in page.template
    assert page.account_id is None
    assert page.user_id is None
    assert page.is_public is True
    assert page.preview_link.endswith("/coverpages/00000000-0000-0000-0000-000000000000.png")


def test_numbers_example_parses_a_page_of_numbers():
    page = NumbersPage.from_api(load(examples.NUMBERS))

    assert (page.count, page.limit, page.offset) == (1718, 100, 0)
    [number] = page.rows
    assert number.uuid == "04d651f6-5092-44a1-bbd4-822a0ab43d29"
    assert number.number == "3144508380"
    assert number.pending_until is None
    assert number.owned_by == "8d3165b3-d23c-4cb4-9bee-b33013c008f7"
    assert number.managed_by == "8d3165b3-d23c-4cb4-9bee-b33013c008f7"
    assert number.faxbridge.name == "FaxBridge"
    assert number.faxbridge.is_active is None
    assert [user.first_name for user in number.users] == ["John"]
    assert number.users[0].avatar_url is None
    assert number.owner.account_name == "Night\u2019s Watch"
    assert number.manager.account_type == "customer"


def test_add_number_user_example_parses_a_number():
    number = FaxNumber.from_api(load(examples.ADD_NUMBER_USER))

    assert number.number == "3122833994"
    assert number.created_at == datetime(2017, 6, 6, 11, 37, 14, tzinfo=UTC)
    assert number.managed_by is None
    assert number.owner is None
    assert number.manager.uuid == "00000000-0000-0000-0000-000000000000"


def test_provision_example_parses_a_list_of_numbers():
    [number] = [FaxNumber.from_api(item) for item in load(examples.PROVISION)]

    assert number.uuid == "2d65b607-1833-4576-b497-650b56d6346b"
    assert number.owner.account_number == "1200000000"


def test_search_example_parses_available_numbers_with_regional_data():
    [found] = [AvailableNumber.from_api(item) for item in load(examples.SEARCH)["result"]]

    assert found.number_e164 == "+17025551234"
    assert found.country_iso == "US"
    assert found.rate_center == "LAS VEGAS"
    assert found.state == "NV"
    assert found.preferable is True


def test_update_number_example_decodes_storage_json_and_hides_it_from_repr():
    number = FaxNumber.from_api(load(examples.UPDATE_NUMBER))

    assert number.storage == {
        "protocol": "ftp",
        "host": "example.com",
        "outputDirPath": "uploads/",
        "password": "password",
        "user": "user",
        "port": 21,
    }
    assert isinstance(number.raw["storage"], str)
    assert "password" not in repr(number)
    assert number.manager.account_name == "Drenfax"


# --- defensive parsing --------------------------------------------------------------------


def test_an_empty_fax_has_every_field_none():
    fax = Fax.from_api({})
    assert fax.message_id is None
    assert fax.users is None
    assert fax.tags is None
    assert fax.created_at is None
    assert fax.raw == {}


def test_unknown_fields_are_kept_in_raw():
    fax = Fax.from_api({"messageId": "m", "brandNewField": {"x": 1}})
    assert fax.raw["brandNewField"] == {"x": 1}


@pytest.mark.parametrize(
    ("data", "attribute", "value"),
    [
        ({"pagesCount": "3"}, "pages_count", 3),
        ({"pagesCount": 3.0}, "pages_count", 3),
        ({"pagesCount": 2.5}, "pages_count", None),
        ({"pagesCount": "three"}, "pages_count", None),
        ({"pagesCount": True}, "pages_count", None),
        ({"pagesComplete": None}, "pages_complete", None),
        ({"isArchived": "true"}, "is_archived", True),
        ({"isArchived": "FALSE"}, "is_archived", False),
        ({"isArchived": 1}, "is_archived", True),
        ({"isArchived": "maybe"}, "is_archived", None),
        ({"resultCode": 0}, "result_code", "0"),
        ({"messageId": ["a"]}, "message_id", None),
        ({"messageId": True}, "message_id", None),
        ({"faxbridge_id": 7}, "faxbridge_id", "7"),
        ({"createdAt": "yesterday"}, "created_at", None),
        ({"createdAt": 1700000000}, "created_at", None),
        (
            {"createdAt": "2021-06-02T13:35:18"},
            "created_at",
            datetime(2021, 6, 2, 13, 35, 18, tzinfo=UTC),
        ),
        (
            {"createdAt": "2021-06-02T08:35:18.250-05:00"},
            "created_at",
            datetime(2021, 6, 2, 8, 35, 18, 250000, tzinfo=timezone(timedelta(hours=-5))),
        ),
        ({"cf": '{"a": 1}'}, "custom_fields", {"a": 1}),
        ({"cf": "not json"}, "custom_fields", None),
        ({"cf": [1]}, "custom_fields", None),
        ({"tags": "t1"}, "tags", None),
        (
            {"users": [{"userId": "u"}, "junk", None]},
            "users",
            [User(user_id="u", raw={"userId": "u"})],
        ),
        ({"users": {"userId": "u"}}, "users", None),
        ({"account": "acme"}, "account", None),
    ],
)
def test_wrong_typed_fields_are_coerced_or_none(data, attribute, value):
    fax = Fax.from_api(data)
    assert getattr(fax, attribute) == value
    assert fax.raw == data


@pytest.mark.parametrize(
    ("count", "expected"), [("99", 99), (99, 99), (" 7 ", 7), (None, 1), ("lots", 1)]
)
def test_history_count_falls_back_to_the_rows_held(count, expected):
    page = HistoryPage.from_api({"count": count, "rows": [{"messageId": "m"}]})
    assert page.count == expected


def test_history_without_rows_is_an_empty_page():
    page = HistoryPage.from_api({"count": "0", "rows": None})
    assert (page.count, page.rows) == (0, [])


def test_result_dataclasses_take_positional_count_rows_and_success_errors():
    assert HistoryPage(2, []).count == 2
    assert BatchResult([], []).errors == []
