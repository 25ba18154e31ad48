"""Odd but well-formed input: the sandbox answers a readable 400, never a 500."""

from __future__ import annotations

import json

import pytest

from .conftest import error_of


@pytest.fixture
def sandbox(sandbox_factory):
    return sandbox_factory(history_rate="1000/60")


def _history_count(api) -> str:
    return api.get("/v1/fax/history").json()["count"]


# --- paging ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/v1/fax/history", "/v1/numbers"])
def test_an_offset_too_big_for_sqlite_is_a_400_not_a_500(api, path):
    response = api.get(path, params={"offset": str(10**20)})
    assert response.status_code == 400, response.text
    assert "offset" in error_of(response)["message"]


# --- dates at the edge of the calendar ------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {"fromDate": "0001-01-01T00:00:00+01:00"},  # year 0 once in UTC
        {"toDate": "9999-12-31"},  # the day after is year 10000
        {"toDate": "9999-12-31T23:30:00-01:00"},  # year 10000 once in UTC
    ],
)
def test_history_dates_at_the_edge_of_the_calendar_are_not_a_500(api, params):
    response = api.get("/v1/fax/history", params=params)
    assert response.status_code in (200, 400), response.text


@pytest.mark.parametrize(
    "path, field", [("/v1/faxes", "faxNumber"), ("/v1/faxes/multiple", "recipientFax")]
)
def test_a_scheduled_date_beyond_year_9999_in_utc_is_a_400_not_a_500(api, path, field):
    response = api.post(
        path,
        data={
            field: "2125550123",
            "coverPage": "true",
            "scheduledDate": "9999-12-31T23:00:00-05:00",
        },
        files={"_": ("", b"")},
    )
    assert response.status_code == 400, response.text
    assert "scheduledDate" in error_of(response)["message"]
    assert _history_count(api) == "0"


# --- JSON text inside form fields -----------------------------------------------------------------
DEEP = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"


def test_deeply_nested_custom_fields_are_a_400_not_a_500(api):
    response = api.send(cf=DEEP)
    assert response.status_code == 400, response.text
    assert "cf must be a JSON object" in error_of(response)["message"]
    assert _history_count(api) == "0"


def test_deeply_nested_storage_settings_are_a_400_not_a_500(api):
    number = api.get("/v1/numbers").json()["rows"][0]
    response = api.patch(f"/v1/numbers/{number['uuid']}", data={"storage": DEEP})
    assert response.status_code == 400, response.text
    assert "storage must be a JSON object" in error_of(response)["message"]


def _strict_json(text: str):
    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("cf", ['{"score": NaN}', '{"score": Infinity}', '{"score": -Infinity}'])
def test_custom_fields_that_are_not_json_are_refused_not_echoed_as_invalid_json(api, cf):
    response = api.send(cf=cf)
    # The provider (JSON.parse) refuses NaN/Infinity; the sandbox must not store them and
    # then answer, list and webhook a body that no strict JSON parser can read.
    assert response.status_code == 400, response.text
    _strict_json(api.get("/v1/fax/history").text)


# --- digits ---------------------------------------------------------------------------------------
def test_a_caller_id_of_non_ascii_digits_is_refused(api):
    response = api.send(callerId="٥٠٩٤٥٧٠٠٥١")  # Arabic-Indic digits match \d
    assert response.status_code == 400, response.text
    assert "callerId" in error_of(response)["message"]


# --- sandbox-only endpoints -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "path, body",
    [
        ("/_sandbox/seed", '{"count": 1, "seed": [1, 2]}'),
        ("/_sandbox/seed", '{"count": 1, "seed": {"a": 1}}'),
        ("/_sandbox/faults", "[" * 100_000 + "]" * 100_000),
    ],
    ids=["seed-list", "seed-object", "faults-deep"],
)
def test_sandbox_endpoints_refuse_odd_json_with_a_400(api, path, body):
    response = api.post(path, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text


# --- history search by phone number ---------------------------------------------------------------
@pytest.mark.parametrize("query", ["+13125550199", "+1 (312) 555-0199", "13125550199"])
def test_an_inbound_fax_is_found_by_its_senders_number_written_in_e164(sandbox, api, query):
    inbound = sandbox.inbound(sender="+13125550199", csid="")
    assert inbound["faxCallerId"] == "3125550199"
    found = [
        r["messageId"] for r in api.get("/v1/fax/history", params={"query": query}).json()["rows"]
    ]
    # "3125550199" finds it; the same number with its +1 / 1 prefix must too, as it does for
    # outbound faxes (whose faxNumber is E.164) and as GET /v1/numbers?query= does.
    assert inbound["messageId"] in found, query
