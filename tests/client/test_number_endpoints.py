"""The number endpoints put exactly the documented request on the wire and parse the answer."""

from __future__ import annotations

import json

import pytest

from drenfax_portal.client import AvailableNumber, FaxNumber, MalformedResponseError, NumbersPage

from . import examples
from .conftest import (
    ACCOUNT_ID,
    BASE,
    NUMBER_ID,
    USER_ID,
    assert_no_body,
    assert_sent,
    form,
    query,
)


def test_list_numbers_sends_default_paging(api, client):
    api.get(f"{BASE}/v1/numbers", body=examples.NUMBERS)
    page = client.list_numbers()

    request = assert_sent(api.calls[0], "GET", "/v1/numbers")
    assert query(request) == [("offset", "0"), ("limit", "30")]
    assert isinstance(page, NumbersPage)
    assert page.count == 1718
    assert page.rows[0].number == "3144508380"


def test_list_numbers_sends_every_filter(api, client):
    api.get(f"{BASE}/v1/numbers", body=examples.NUMBERS)
    client.list_numbers(account_id=ACCOUNT_ID, type="pending", offset=60, limit=100, query="314")

    assert query(api.calls[0].request) == [
        ("accountId", ACCOUNT_ID),
        ("type", "pending"),
        ("offset", "60"),
        ("limit", "100"),
        ("query", "314"),
    ]


def test_add_number_user_posts_without_body(api, client):
    api.post(f"{BASE}/v1/numbers/{NUMBER_ID}/user/{USER_ID}", body=examples.ADD_NUMBER_USER)
    number = client.add_number_user(NUMBER_ID, USER_ID)

    request = assert_sent(api.calls[0], "POST", f"/v1/numbers/{NUMBER_ID}/user/{USER_ID}")
    assert_no_body(request)
    assert isinstance(number, FaxNumber)
    assert [user.user_id for user in number.users] == [USER_ID]


@pytest.mark.parametrize("body", ["OK", ""])
def test_remove_number_user_deletes_and_returns_none(api, client, body):
    api.delete(f"{BASE}/v1/numbers/{NUMBER_ID}/user/{USER_ID}", body=body)
    assert client.remove_number_user(NUMBER_ID, USER_ID) is None

    assert_no_body(assert_sent(api.calls[0], "DELETE", f"/v1/numbers/{NUMBER_ID}/user/{USER_ID}"))


def test_provision_numbers_orders_listed_numbers_urlencoded(api, client):
    api.post(f"{BASE}/v1/numbers/provision", body=examples.PROVISION)
    numbers = client.provision_numbers(
        "order",
        numbers=["+17025551234", "+17025551235"],
        account_id=ACCOUNT_ID,
        storage={"protocol": "sftp", "host": "files.example.com", "port": 22},
    )

    request = assert_sent(api.calls[0], "POST", "/v1/numbers/provision")
    assert form(request) == [
        ("type", "order"),
        ("numbers", "+17025551234,+17025551235"),
        ("accountId", ACCOUNT_ID),
        ("storage", '{"protocol":"sftp","host":"files.example.com","port":22}'),
    ]
    assert "numbers=%2B17025551234%2C%2B17025551235" in request.body
    assert [n.number for n in numbers] == ["8440000000"]


def test_provision_numbers_asks_for_random_toll_free_numbers_by_quantity(api, client):
    api.post(f"{BASE}/v1/numbers/provision", body=examples.PROVISION)
    client.provision_numbers("toll-free", quantity=3)

    assert form(api.calls[0].request) == [("type", "toll-free"), ("quantity", "3")]


def test_provision_numbers_accepts_exactly_1000_numbers(api, client):
    api.post(f"{BASE}/v1/numbers/provision", json=[])
    numbers = [f"+1702555{i:04d}" for i in range(1000)]
    assert client.provision_numbers("order", numbers=numbers) == []

    assert dict(form(api.calls[0].request))["numbers"] == ",".join(numbers)


def test_search_numbers_sends_only_given_params(api, client):
    api.get(f"{BASE}/v1/numbers/provision/search", body=examples.SEARCH)
    found = client.search_numbers(npa="702", nxx="555", state="NV", limit=10)

    request = assert_sent(api.calls[0], "GET", "/v1/numbers/provision/search")
    assert query(request) == [("npa", "702"), ("nxx", "555"), ("state", "NV"), ("limit", "10")]
    assert found == [
        AvailableNumber(
            number_e164="+17025551234",
            country_iso="US",
            rate_center="LAS VEGAS",
            state="NV",
            preferable=True,
            raw=json.loads(examples.SEARCH)["result"][0],
        )
    ]


def test_search_numbers_by_city_or_zipcode(api, client):
    api.get(f"{BASE}/v1/numbers/provision/search", json={"result": []})
    api.get(f"{BASE}/v1/numbers/provision/search", json={"result": []})
    client.search_numbers(city="Las Vegas", state="NV")
    client.search_numbers(zipcode="89101")

    assert query(api.calls[0].request) == [("state", "NV"), ("city", "Las Vegas")]
    assert query(api.calls[1].request) == [("zipcode", "89101")]


def test_search_numbers_without_a_result_list_is_an_error(api, client):
    api.get(f"{BASE}/v1/numbers/provision/search", json={"rows": []})
    with pytest.raises(MalformedResponseError, match="result"):
        client.search_numbers(npa="702")


def test_update_number_patches_storage_as_json_and_manager(api, client):
    api.patch(f"{BASE}/v1/numbers/{NUMBER_ID}", body=examples.UPDATE_NUMBER)
    storage = {"protocol": "ftp", "host": "example.com", "user": "u", "password": "p&=+"}
    number = client.update_number(NUMBER_ID, storage=storage, managed_by=ACCOUNT_ID)

    request = assert_sent(api.calls[0], "PATCH", f"/v1/numbers/{NUMBER_ID}")
    sent = form(request)
    assert [name for name, _ in sent] == ["storage", "managedBy"]
    assert json.loads(sent[0][1]) == storage
    assert sent[1] == ("managedBy", ACCOUNT_ID)
    assert number.storage["protocol"] == "ftp"


def test_update_number_with_only_a_manager_leaves_storage_out(api, client):
    api.patch(f"{BASE}/v1/numbers/{NUMBER_ID}", body=examples.UPDATE_NUMBER)
    client.update_number(NUMBER_ID, managed_by=ACCOUNT_ID)

    assert form(api.calls[0].request) == [("managedBy", ACCOUNT_ID)]


@pytest.mark.parametrize("body", ["OK", ""])
def test_release_number_deletes_the_release_path(api, client, body):
    api.delete(f"{BASE}/v1/numbers/{NUMBER_ID}/release", body=body)
    assert client.release_number(NUMBER_ID) is None

    assert_no_body(assert_sent(api.calls[0], "DELETE", f"/v1/numbers/{NUMBER_ID}/release"))


@pytest.mark.parametrize("answer", [False, True])
def test_validate_number_returns_is_valid(api, client, answer):
    api.get(f"{BASE}/v1/numbers/validate", json={"isValid": answer})
    assert client.validate_number("+13125550100") is answer

    request = assert_sent(api.calls[0], "GET", "/v1/numbers/validate")
    assert query(request) == [("number", "+13125550100"), ("country", "US")]


def test_validate_number_passes_the_country(api, client):
    api.get(f"{BASE}/v1/numbers/validate", body=examples.VALIDATE)
    assert client.validate_number("020 7946 0000", "GB") is False

    assert query(api.calls[0].request) == [("number", "020 7946 0000"), ("country", "GB")]


@pytest.mark.parametrize("body", ['{"valid": true}', '{"isValid": "yes"}', "[]"])
def test_validate_number_without_a_boolean_is_an_error(api, client, body):
    api.get(f"{BASE}/v1/numbers/validate", body=body)
    with pytest.raises(MalformedResponseError):
        client.validate_number("+13125550100")
