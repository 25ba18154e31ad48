"""Fax numbers: list, search, provision, users, settings, release, validate."""

from __future__ import annotations

import json

import pytest

from .conftest import error_of

USER = "fdb9f0dd-ac0c-4f3e-8e4b-1be0225186de"


def first_number(api) -> dict:
    return api.get("/v1/numbers").json()["rows"][0]


def test_the_numbers_list_has_the_reference_shape(sandbox, api):
    body = api.get("/v1/numbers").json()
    assert body["count"] == 3 and body["limit"] == 30 and body["offset"] == 0
    number = body["rows"][0]
    assert len(number["number"]) == 10 and number["number"].isdigit()
    assert number["pendingUntil"] is None
    assert number["ownedBy"] == number["managedBy"] == sandbox.account_id
    assert number["users"] == []
    assert number["owner"]["uuid"] == sandbox.account_id
    assert set(number["manager"]) >= {"uuid", "accountNumber", "accountName", "accountType"}


def test_the_numbers_list_pages_and_searches(api):
    body = api.get("/v1/numbers", params={"offset": 1, "limit": 1}).json()
    assert len(body["rows"]) == 1 and body["count"] == 3
    number = first_number(api)
    found = api.get("/v1/numbers", params={"query": number["number"][3:]}).json()["rows"]
    assert [n["uuid"] for n in found] == [number["uuid"]]
    found = api.get(
        "/v1/numbers", params={"query": f"+1 ({number['number'][:3]}) {number['number'][3:6]}"}
    ).json()
    assert number["uuid"] in [n["uuid"] for n in found["rows"]]
    assert api.get("/v1/numbers", params={"limit": 0}).status_code == 400
    assert api.get("/v1/numbers", params={"type": "lost"}).status_code == 400
    assert (
        api.get(
            "/v1/numbers", params={"accountId": "6c838c7c-cb48-4763-84d6-233b5f8cf782"}
        ).status_code
        == 403
    )


# --- search ---------------------------------------------------------------------------------------
def test_search_by_area_code_answers_the_reference_shape(api):
    body = api.get("/v1/numbers/provision/search", params={"npa": "702", "limit": 5}).json()
    assert body["limit"] == 5
    assert len(body["result"]) == 5
    result = body["result"][0]
    assert result["number_e164"].startswith("+1702")
    assert result["regional_data"] == {
        "country_iso": "US",
        "rate_center": "LAS VEGAS",
        "state": "NV",
    }
    assert isinstance(result["preferable"], bool)


@pytest.mark.parametrize(
    "params,check",
    [
        (
            {"city": "Chicago", "state": "IL"},
            lambda r: r["regional_data"]["rate_center"] == "CHICAGO",
        ),
        ({"city": "St. Louis"}, lambda r: r["regional_data"]["state"] == "MO"),
        ({"zipcode": "98101"}, lambda r: r["regional_data"]["rate_center"] == "SEATTLE"),
        ({"npa": "212", "nxx": None}, lambda r: r["number_e164"][2:5] == "212"),
        ({"npa": "800"}, lambda r: r["regional_data"]["rate_center"] == "TOLL FREE"),
    ],
)
def test_search_filters(api, params, check):
    if params.get("nxx", 1) is None:
        nxx = api.get("/v1/numbers/provision/search", params={"npa": "212"}).json()["result"][0][
            "number_e164"
        ][5:8]
        params = {"npa": "212", "nxx": nxx}
    results = api.get("/v1/numbers/provision/search", params={**params, "limit": 50}).json()[
        "result"
    ]
    assert results and all(check(r) for r in results)
    if "nxx" in params:
        assert all(r["number_e164"][5:8] == params["nxx"] for r in results)


def test_the_inventory_spans_several_states_cities_and_area_codes(api):
    states, centers = set(), set()
    for npa in (
        "212",
        "646",
        "213",
        "312",
        "713",
        "206",
        "509",
        "702",
        "314",
        "920",
        "305",
        "617",
        "303",
    ):
        for r in api.get("/v1/numbers/provision/search", params={"npa": npa}).json()["result"]:
            states.add(r["regional_data"]["state"])
            centers.add(r["regional_data"]["rate_center"])
    assert len(states) >= 8 and len(centers) >= 10


@pytest.mark.parametrize(
    "params,message",
    [
        ({"state": "NY"}, "search needs at least one of npa, city or zipcode"),
        ({}, "search needs at least one of npa, city or zipcode"),
        ({"npa": "21"}, "npa must be 3 digits, not '21'"),
        ({"zipcode": "1000"}, "zipcode must be 5 digits, not '1000'"),
        ({"npa": "212", "limit": "lots"}, "limit must be an integer, not 'lots'"),
    ],
)
def test_search_refuses_bad_parameters(api, params, message):
    response = api.get("/v1/numbers/provision/search", params=params)
    assert response.status_code == 400
    assert error_of(response)["message"] == message


def test_owned_numbers_never_appear_in_search(api):
    owned = {"+1" + n["number"] for n in api.get("/v1/numbers").json()["rows"]}
    for npa in {n[2:5] for n in owned}:
        found = {
            r["number_e164"]
            for r in api.get(
                "/v1/numbers/provision/search", params={"npa": npa, "limit": 1000}
            ).json()["result"]
        }
        assert not found & owned


# --- provisioning ---------------------------------------------------------------------------------
def test_order_provisions_numbers_found_by_a_recent_search(sandbox, api):
    found = api.get("/v1/numbers/provision/search", params={"npa": "617", "limit": 2}).json()[
        "result"
    ]
    wanted = [r["number_e164"] for r in found]
    response = api.post(
        "/v1/numbers/provision", data={"type": "order", "numbers": ",".join(wanted)}
    )
    assert response.status_code == 200
    numbers = response.json()
    assert ["+1" + n["number"] for n in numbers] == wanted
    assert all(n["ownedBy"] == sandbox.account_id and n["pendingUntil"] is None for n in numbers)
    assert api.get("/v1/numbers").json()["count"] == 5
    again = api.post("/v1/numbers/provision", data={"type": "order", "numbers": wanted[0]})
    assert again.status_code == 400


def test_order_refuses_numbers_not_searched_for(api):
    response = api.post("/v1/numbers/provision", data={"type": "order", "numbers": "+16175550100"})
    assert response.status_code == 400
    assert "did not appear in a number search in the last 24 hours" in error_of(response)["message"]


def test_a_search_older_than_a_day_no_longer_allows_an_order(sandbox, api):
    found = api.get("/v1/numbers/provision/search", params={"npa": "303", "limit": 1}).json()[
        "result"
    ]
    sandbox.advance(24 * 3600 + 5)
    response = api.post(
        "/v1/numbers/provision", data={"type": "order", "numbers": found[0]["number_e164"]}
    )
    assert response.status_code == 400


def test_order_is_all_or_nothing(api):
    found = api.get("/v1/numbers/provision/search", params={"npa": "305", "limit": 1}).json()[
        "result"
    ]
    numbers = f"{found[0]['number_e164']},+13055550100"
    assert (
        api.post("/v1/numbers/provision", data={"type": "order", "numbers": numbers}).status_code
        == 400
    )
    assert api.get("/v1/numbers").json()["count"] == 3


@pytest.mark.parametrize(
    "data,message",
    [
        ({}, "type is required: order, local or toll-free"),
        ({"type": "order"}, "numbers is required for type=order (E.164, comma-separated)"),
        (
            {"type": "order", "numbers": "3055550100"},
            "'3055550100' is not an E.164 number (like +12125550123)",
        ),
        (
            {"type": "order", "numbers": ",".join(f"+1305555{i:04d}" for i in range(1001))},
            "at most 1000 numbers per call, not 1001",
        ),
        ({"type": "local", "quantity": "1001"}, "quantity must be between 1 and 1000, not 1001"),
        ({"type": "local", "numbers": "+13055550100"}, "numbers is only for type=order"),
        ({"type": "local", "storage": "{bad"}, None),
        ({"type": "local", "accountId": "6c838c7c-cb48-4763-84d6-233b5f8cf782"}, None),
    ],
)
def test_provision_refuses_bad_requests(api, data, message):
    response = api.post("/v1/numbers/provision", data=data)
    assert response.status_code in (400, 403)
    if message:
        assert error_of(response)["message"] == message


def test_local_and_toll_free_provision_random_numbers(api):
    local = api.post("/v1/numbers/provision", data={"type": "local", "quantity": "3"}).json()
    assert len(local) == 3 and len({n["number"] for n in local}) == 3
    toll_free = api.post("/v1/numbers/provision", data={"type": "toll-free"}).json()
    assert len(toll_free) == 1
    assert toll_free[0]["number"][:3] in ("800", "833", "844", "855", "866", "877", "888")
    assert all(
        n["number"][:3] not in ("800", "833", "844", "855", "866", "877", "888") for n in local
    )
    assert api.get("/v1/numbers").json()["count"] == 7


def test_provision_can_set_storage(api):
    storage = json.dumps(
        {"protocol": "sftp", "host": "files.example.com", "user": "u", "password": "p"}
    )
    (number,) = api.post("/v1/numbers/provision", data={"type": "local", "storage": storage}).json()
    assert json.loads(number["storage"])["port"] == 22


# --- users ----------------------------------------------------------------------------------------
def test_users_are_added_and_removed(api):
    number = first_number(api)
    response = api.post(f"/v1/numbers/{number['uuid']}/user/{USER}")
    assert response.status_code == 200
    users = response.json()["users"]
    assert [u["userId"] for u in users] == [USER]
    assert set(users[0]) == {"userId", "accountId", "email", "firstName", "lastName", "avatarUrl"}
    assert (
        api.post(f"/v1/numbers/{number['uuid']}/user/{USER}").json()["users"] == users
    )  # idempotent
    assert api.get("/v1/numbers", params={"type": "assigned"}).json()["count"] == 1
    assert api.get("/v1/numbers", params={"type": "available"}).json()["count"] == 2
    response = api.delete(f"/v1/numbers/{number['uuid']}/user/{USER}")
    assert response.status_code == 200 and response.text == "OK"
    assert first_number(api)["users"] == []
    assert api.delete(f"/v1/numbers/{number['uuid']}/user/{USER}").status_code == 404


def test_a_malformed_user_id_is_refused_and_an_unknown_number_is_404(api):
    number = first_number(api)
    response = api.post(f"/v1/numbers/{number['uuid']}/user/not-a-uuid")
    assert response.status_code == 400
    assert error_of(response)["message"] == "userId must be a UUID, not 'not-a-uuid'"
    assert (
        api.post(f"/v1/numbers/d1077489-5ea1-4db1-9760-853f175e8288/user/{USER}").status_code == 404
    )
    assert api.post(f"/v1/numbers/garbage/user/{USER}").status_code == 404


# --- settings -------------------------------------------------------------------------------------
def test_settings_store_validated_storage_and_answer_it_as_a_json_string(api):
    number = first_number(api)
    storage = {
        "protocol": "ftp",
        "host": "example.com",
        "port": 21,
        "user": "user",
        "password": "password",
        "outputDirPath": "uploads/",
    }
    response = api.patch(f"/v1/numbers/{number['uuid']}", data={"storage": json.dumps(storage)})
    assert response.status_code == 200
    assert response.json()["storage"] == (
        '{"protocol":"ftp","host":"example.com","outputDirPath":"uploads/",'
        '"password":"password","user":"user","port":21}'
    )
    assert first_number(api)["storage"] == response.json()["storage"]
    cleared = api.patch(f"/v1/numbers/{number['uuid']}", data={"storage": ""}).json()
    assert cleared["storage"] is None


def test_settings_change_the_manager(api):
    number = first_number(api)
    manager = "8d3165b3-d23c-4cb4-9bee-b33013c008f7"
    body = api.patch(f"/v1/numbers/{number['uuid']}", data={"managedBy": manager}).json()
    assert body["managedBy"] == manager and body["manager"]["uuid"] == manager


@pytest.mark.parametrize(
    "data,message",
    [
        ({}, "nothing to update: send storage and/or managedBy"),
        ({"managedBy": "boss"}, "managedBy must be a UUID, not 'boss'"),
        ({"storage": "{"}, None),
        ({"storage": "[]"}, "storage must be a JSON object"),
        (
            {"storage": '{"protocol": "http", "host": "h", "user": "u", "password": "p"}'},
            "storage.protocol must be ftp or sftp",
        ),
        (
            {"storage": '{"protocol": "ftp", "host": "", "user": "u", "password": "p"}'},
            "storage.host must be a host name or IP address",
        ),
        (
            {
                "storage": json.dumps(
                    {"protocol": "ftp", "host": "h", "port": 0, "user": "u", "password": "1"}
                )
            },
            "storage.port must be an integer between 1 and 65535",
        ),
        (
            {"storage": '{"protocol": "ftp", "host": "h", "password": "p"}'},
            "storage.user is required (a non-empty string)",
        ),
        (
            {"storage": '{"protocol": "ftp", "host": "h", "user": "u"}'},
            "storage.password is required (a non-empty string)",
        ),
        (
            {"storage": '{"protocol": "ftp", "host": "h", "user": "u", "password": "p", "x": 1}'},
            "storage has unknown keys: x "
            "(allowed: protocol, host, outputDirPath, password, user, port)",
        ),
    ],
)
def test_settings_refuse_bad_values(api, data, message):
    number = first_number(api)
    response = api.patch(f"/v1/numbers/{number['uuid']}", data=data)
    assert response.status_code == 400
    if message:
        assert error_of(response)["message"] == message


# --- release --------------------------------------------------------------------------------------
def test_release_moves_the_number_to_pending_for_30_days(sandbox, api):
    number = first_number(api)
    response = api.delete(f"/v1/numbers/{number['uuid']}/release")
    assert response.status_code == 200
    released = response.json()
    assert released["pendingUntil"] > released["createdAt"]
    pending = api.get("/v1/numbers", params={"type": "pending"}).json()["rows"]
    assert [n["uuid"] for n in pending] == [number["uuid"]]
    assert api.delete(f"/v1/numbers/{number['uuid']}/release").status_code == 400
    assert api.post(f"/v1/numbers/{number['uuid']}/user/{USER}").status_code == 400
    sandbox.advance(30 * 86400 + 5)
    assert api.get("/v1/numbers").json()["count"] == 2  # back to the inventory


def test_a_released_number_receives_no_more_faxes(sandbox, api):
    number = first_number(api)
    api.delete(f"/v1/numbers/{number['uuid']}/release")
    response = api.post("/_sandbox/inbound", json={"to": number["number"]})
    assert response.status_code == 400


# --- validate -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "number,country,valid",
    [
        ("2125550123", "US", True),
        ("+12125550123", "US", True),
        ("2125550123", "GB", False),
        ("020 7946 0000", "GB", True),
        ("1234", "US", False),
        ("not a number", "US", False),
        ("6135550123", "CA", True),
        ("6135550123", "US", False),
    ],
)
def test_validate_applies_real_numbering_rules_per_country(api, number, country, valid):
    response = api.get("/v1/numbers/validate", params={"number": number, "country": country})
    assert response.status_code == 200
    assert response.json() == {"isValid": valid}


def test_validate_needs_a_number_and_a_country(api):
    assert api.get("/v1/numbers/validate", params={"country": "US"}).status_code == 400
    assert api.get("/v1/numbers/validate", params={"number": "2125550123"}).status_code == 400
    response = api.get("/v1/numbers/validate", params={"number": "2125550123", "country": "USA"})
    assert response.status_code == 400
