"""Arguments outside the documented limits are refused before any request is made."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from drenfax_portal.client import DrenfaxClient, InvalidInputError

from .conftest import ACCOUNT_ID, BASE, MESSAGE_ID, NUMBER_ID, PDF

DOC = ("letter.pdf", PDF, "application/pdf")


def refused(api, call, field: str) -> InvalidInputError:
    """Run `call`, expect an InvalidInputError naming `field`, and no request at all."""
    with pytest.raises(InvalidInputError) as caught:
        call()
    assert caught.value.field == field
    assert field in str(caught.value)
    assert caught.value.status_code is None
    assert caught.value.permanent is True
    assert len(api.calls) == 0
    return caught.value


@pytest.mark.parametrize(
    ("field", "value", "limit"),
    [
        ("recipient_name", "x" * 41, 40),
        ("sender_name", "x" * 41, 40),
        ("subject", "x" * 56, 55),
        ("notes", "x" * 4001, 4000),
    ],
)
@pytest.mark.parametrize("method", ["send_fax", "send_multiple"])
def test_send_refuses_oversized_cover_page_text(api, client, method, field, value, limit):
    send = getattr(client, method)
    to = "+13125550100" if method == "send_fax" else ["+13125550100"]
    error = refused(api, lambda: send(to, attachments=[DOC], **{field: value}), field)
    assert f"at most {limit} characters" in str(error)


@pytest.mark.parametrize(
    ("field", "value"),
    [("recipient_name", "x" * 41), ("sender_name", "x" * 41), ("subject", "x" * 56)],
)
def test_preview_refuses_oversized_cover_page_text(api, client, field, value):
    refused(api, lambda: client.preview_fax(cover_page=True, **{field: value}), field)


def test_limits_count_characters_not_bytes(api, client):
    api.post(f"{BASE}/v1/faxes", json={"messageId": MESSAGE_ID})
    client.send_fax("+13125550100", cover_page=True, recipient_name="é" * 40, subject="ü" * 55)


@pytest.mark.parametrize(
    "caller_id",
    ["22345678901", "+1509457005100", "509-457-005x", "+44 20 7946 0000", "", "509457005\u00b2"],
)
def test_send_refuses_a_caller_id_that_is_not_ten_digits(api, client, caller_id):
    refused(
        api,
        lambda: client.send_fax("+13125550100", attachments=[DOC], caller_id=caller_id),
        "caller_id",
    )


def test_send_multiple_needs_recipients_or_contacts(api, client):
    refused(api, lambda: client.send_multiple([], attachments=[DOC]), "recipients")


def test_send_multiple_refuses_recipients_given_as_one_string(api, client):
    error = refused(
        api, lambda: client.send_multiple("+13125550100", attachments=[DOC]), "recipients"
    )
    assert "not a single string" in str(error)


@pytest.mark.parametrize("recipient", ["", "   ", None, 3125550100, "312,555"])
def test_send_multiple_refuses_blank_or_odd_recipients(api, client, recipient):
    refused(api, lambda: client.send_multiple([recipient], attachments=[DOC]), "recipients")


@pytest.mark.parametrize("number", ["", "   ", None, 3125550100, ["+13125550100"]])
def test_send_fax_refuses_a_blank_or_odd_number(api, client, number):
    refused(api, lambda: client.send_fax(number, attachments=[DOC]), "fax_number")


def test_send_fax_refuses_several_numbers_in_one(api, client):
    error = refused(
        api, lambda: client.send_fax("+13125550100,+13125550101", attachments=[DOC]), "fax_number"
    )
    assert "send_multiple" in str(error)


@pytest.mark.parametrize("method", ["send_fax", "send_multiple"])
def test_send_needs_attachments_or_a_cover_page(api, client, method):
    send = getattr(client, method)
    to = "+13125550100" if method == "send_fax" else ["+13125550100"]
    refused(api, lambda: send(to), "attachments")
    refused(api, lambda: send(to, cover_page_id="c"), "attachments")


def test_preview_needs_attachments_or_a_cover_page(api, client):
    refused(api, lambda: client.preview_fax(), "attachments")


@pytest.mark.parametrize(
    "attachment",
    [
        ("a.pdf", "not bytes", "application/pdf"),
        ("", PDF, "application/pdf"),
        ("a.pdf", PDF),
        ("a.pdf", PDF, 1),
    ],
)
def test_send_refuses_malformed_attachments(api, client, attachment):
    refused(api, lambda: client.send_fax("+13125550100", attachments=[attachment]), "attachments")


def test_send_refuses_a_lone_attachment_tuple(api, client):
    refused(api, lambda: client.send_fax("+13125550100", attachments=DOC), "attachments")


@pytest.mark.parametrize(
    "when",
    [datetime(2030, 1, 1, 9, 0), date(2030, 1, 1), "2030-01-01T09:00:00Z"],
)
def test_send_refuses_a_scheduled_date_that_is_not_an_aware_datetime(api, client, when):
    refused(
        api,
        lambda: client.send_fax("+13125550100", attachments=[DOC], scheduled_date=when),
        "scheduled_date",
    )


@pytest.mark.parametrize("custom_fields", [["a"], {"when": datetime.now(UTC)}, {"x": float("nan")}])
def test_send_refuses_custom_fields_that_are_not_a_json_object(api, client, custom_fields):
    refused(
        api,
        lambda: client.send_fax("+13125550100", attachments=[DOC], custom_fields=custom_fields),
        "custom_fields",
    )


def test_send_refuses_a_cover_page_flag_that_is_not_a_bool(api, client):
    refused(api, lambda: client.send_fax("+13125550100", cover_page="false"), "cover_page")


def test_blast_needs_a_file(api, client):
    refused(api, lambda: client.send_blast(None), "recipients_file")


@pytest.mark.parametrize("limit", [0, 501, -1, "10", True])
def test_history_refuses_a_limit_outside_1_to_500(api, client, limit):
    refused(api, lambda: client.fax_history(ACCOUNT_ID, limit=limit), "limit")


def test_history_refuses_a_negative_offset(api, client):
    refused(api, lambda: client.fax_history(ACCOUNT_ID, offset=-1), "offset")


def test_history_refuses_an_unknown_direction(api, client):
    refused(api, lambda: client.fax_history(ACCOUNT_ID, direction="sideways"), "direction")


def test_history_needs_an_account(api, client):
    refused(api, lambda: client.fax_history(""), "account_id")


def test_history_refuses_datetimes_and_reversed_ranges(api, client):
    refused(api, lambda: client.fax_history(ACCOUNT_ID, from_date=datetime.now(UTC)), "from_date")
    refused(
        api,
        lambda: client.fax_history(
            ACCOUNT_ID, from_date=date(2024, 2, 1), to_date=date(2024, 1, 1)
        ),
        "from_date",
    )


def test_history_refuses_is_archived_that_is_not_a_bool(api, client):
    refused(api, lambda: client.fax_history(ACCOUNT_ID, is_archived="true"), "is_archived")


def test_update_fax_needs_a_real_bool(api, client):
    refused(api, lambda: client.update_fax(MESSAGE_ID, is_archived="false"), "is_archived")


def test_provision_refuses_more_than_1000_numbers(api, client):
    numbers = [f"+1702555{i:04d}" for i in range(1001)]
    error = refused(api, lambda: client.provision_numbers("order", numbers=numbers), "numbers")
    assert "at most 1000" in str(error)


def test_provision_refuses_a_quantity_over_1000(api, client):
    refused(api, lambda: client.provision_numbers("local", quantity=1001), "quantity")
    refused(api, lambda: client.provision_numbers("local", quantity=0), "quantity")


def test_provision_refuses_an_unknown_type(api, client):
    refused(api, lambda: client.provision_numbers("mobile"), "type")


def test_provision_order_needs_numbers(api, client):
    refused(api, lambda: client.provision_numbers("order"), "numbers")


def test_search_needs_npa_city_or_zipcode(api, client):
    error = refused(api, lambda: client.search_numbers(state="NV", nxx="555"), "npa")
    assert "npa, city or zipcode" in str(error)


@pytest.mark.parametrize("npa", ["70", "70\u00b2", "\u0667\u0660\u0661"])
def test_search_refuses_an_npa_that_is_not_three_digits(api, client, npa):
    refused(api, lambda: client.search_numbers(npa=npa), "npa")


def test_validate_number_refuses_a_bad_country_code(api, client):
    refused(api, lambda: client.validate_number("+13125550100", "USA"), "country")


@pytest.mark.parametrize("bad_id", ["", " ", None, ".", "..", 42])
def test_path_ids_must_be_real_ids(api, client, bad_id):
    refused(api, lambda: client.fax_info(bad_id), "message_id")
    refused(api, lambda: client.release_number(bad_id), "number_id")
    refused(api, lambda: client.add_number_user(NUMBER_ID, bad_id), "user_id")


def test_download_refuses_a_target_that_cannot_be_written(api, client):
    refused(api, lambda: client.download_fax(MESSAGE_ID, to="out.pdf"), "to")


@pytest.mark.parametrize("base_url", ["", "api.drenfax.com", "ftp://api.drenfax.com", None])
def test_client_refuses_a_base_url_that_is_not_http(base_url):
    with pytest.raises(ValueError, match="base_url"):
        DrenfaxClient(base_url, "key")


@pytest.mark.parametrize("api_key", ["", "  ", "key\r\nX-Evil: 1", None])
def test_client_refuses_an_unusable_api_key(api_key):
    with pytest.raises(ValueError, match="api_key"):
        DrenfaxClient(BASE, api_key)


def test_the_api_key_never_shows_in_repr():
    client = DrenfaxClient(BASE, "s3cret")
    assert "s3cret" not in repr(client)
    assert "s3cret" not in repr(client.__dict__)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda c: c.send_fax("+13125550100", cover_page=True, cover_page_id=""),
            "cover_page_id",
        ),
        (lambda c: c.send_fax("+13125550100", cover_page=True, webhook_id=" "), "webhook_id"),
        (lambda c: c.resend_fax(MESSAGE_ID, recipient_fax=""), "recipient_fax"),
        (lambda c: c.fax_history(ACCOUNT_ID, user_id=""), "user_id"),
        (lambda c: c.list_numbers(account_id=""), "account_id"),
        (lambda c: c.update_number(NUMBER_ID, managed_by=""), "managed_by"),
    ],
)
def test_optional_ids_may_be_none_but_not_blank(api, client, call, field):
    refused(api, lambda: call(client), field)


@pytest.mark.parametrize("timeout", [None, 0, -1, (5, None), (5,), "60", True])
def test_client_refuses_a_missing_or_nonsense_timeout(timeout):
    with pytest.raises(ValueError, match="timeout"):
        DrenfaxClient(BASE, "key", timeout=timeout)
