"""GET /v1/fax/history: filters, paging, ordering and the rate limit."""

from __future__ import annotations

import time

import pytest

from .conftest import Api, error_of


@pytest.fixture
def sandbox(sandbox_factory):
    # A generous limit so these tests can call history freely; the limit has its own tests.
    return sandbox_factory(history_rate="1000/60")


def ids(response) -> list[str]:
    return [row["messageId"] for row in response.json()["rows"]]


def test_history_answers_count_as_a_string_rows_and_query(sandbox, api):
    fax = api.send().json()
    body = api.get("/v1/fax/history").json()
    assert body["count"] == "1"
    assert body["rows"][0]["messageId"] == fax["messageId"]
    assert body["query"] == {"limit": 10, "offset": 0}


def test_history_is_newest_first_with_a_stable_tie_break(sandbox, api):
    assert sandbox.seed(300, days=2, seed=7) == 300
    rows = api.get("/v1/fax/history", params={"limit": 500}).json()["rows"]
    created = [r["createdAt"] for r in rows]
    assert created == sorted(created, reverse=True)
    assert ids(api.get("/v1/fax/history", params={"limit": 500})) == [r["messageId"] for r in rows]


def test_faxes_created_in_the_same_millisecond_keep_a_stable_order(sandbox, api):
    body = api.post(
        "/v1/faxes/multiple",
        data={"recipientFax": ",".join(f"21255501{i:02d}" for i in range(20)), "coverPage": "true"},
    ).json()
    sent = [f["messageId"] for f in body["success"]]
    listed = ids(api.get("/v1/fax/history", params={"limit": 50}))
    assert listed == list(reversed(sent))


def test_paging_walks_every_fax_once(sandbox, api):
    sandbox.seed(95, seed=1)
    seen = []
    for offset in range(0, 100, 20):
        seen += ids(api.get("/v1/fax/history", params={"offset": offset, "limit": 20}))
    assert len(seen) == len(set(seen)) == 95
    assert api.get("/v1/fax/history", params={"offset": 95}).json()["rows"] == []
    assert api.get("/v1/fax/history", params={"offset": 200}).json()["count"] == "95"


@pytest.mark.parametrize(
    "params,message",
    [
        ({"limit": 0}, "limit must be between 1 and 500, not 0"),
        ({"limit": 501}, "limit must be between 1 and 500, not 501"),
        ({"limit": "ten"}, "limit must be an integer, not 'ten'"),
        ({"offset": -1}, "offset must be at least 0, not -1"),
        ({"direction": "sideways"}, "direction must be all, inbound or outbound, not 'sideways'"),
        ({"isArchived": "yes"}, "isArchived must be true or false, not 'yes'"),
        ({"include": "users"}, "include accepts tags and/or contacts"),
        ({"accountId": "nope"}, "accountId must be a UUID, not 'nope'"),
    ],
)
def test_bad_parameters_are_refused(api, params, message):
    response = api.get("/v1/fax/history", params=params)
    assert response.status_code == 400
    assert error_of(response)["message"] == message


def test_a_bad_status_or_date_is_refused(api):
    assert (
        "status must be one of"
        in error_of(api.get("/v1/fax/history", params={"status": "done"}))["message"]
    )
    response = api.get("/v1/fax/history", params={"fromDate": "yesterday"})
    assert response.status_code == 400
    assert "fromDate must be a date like 2012-04-23" in error_of(response)["message"]


def test_another_accounts_history_is_forbidden(api):
    response = api.get(
        "/v1/fax/history", params={"accountId": "6c838c7c-cb48-4763-84d6-233b5f8cf782"}
    )
    assert response.status_code == 403


def test_the_own_account_id_is_accepted(sandbox, api):
    assert api.get("/v1/fax/history", params={"accountId": sandbox.account_id}).status_code == 200


def test_direction_and_status_filter(sandbox, api):
    sandbox.seed(200, seed=3)
    for direction in ("inbound", "outbound"):
        rows = api.get("/v1/fax/history", params={"direction": direction, "limit": 500}).json()[
            "rows"
        ]
        assert rows and {r["direction"] for r in rows} == {direction}
    for status in ("success", "failed"):
        rows = api.get("/v1/fax/history", params={"status": status, "limit": 500}).json()["rows"]
        assert rows and {r["status"] for r in rows} == {status}
    counts = [
        int(api.get("/v1/fax/history", params={"status": s}).json()["count"])
        for s in ("success", "failed", "cancelled")
    ]
    assert sum(counts) == 200


def test_status_processing_lists_faxes_in_progress(sandbox_factory):
    sandbox = sandbox_factory(speed=0.01, history_rate="100/60")
    api = Api(sandbox)
    fax = api.send().json()
    sandbox.seed(20, seed=4)
    assert ids(api.get("/v1/fax/history", params={"status": "processing"})) == [fax["messageId"]]


def test_dates_filter_on_created_at(sandbox, api):
    sandbox.seed(300, days=30, seed=5)
    rows = api.get("/v1/fax/history", params={"limit": 500}).json()["rows"]
    day = rows[150]["createdAt"][:10]
    expected = [r["messageId"] for r in rows if r["createdAt"][:10] == day]
    got = ids(api.get("/v1/fax/history", params={"fromDate": day, "toDate": day, "limit": 500}))
    assert got == expected
    since = ids(api.get("/v1/fax/history", params={"fromDate": day, "limit": 500}))
    assert since == [r["messageId"] for r in rows if r["createdAt"][:10] >= day]
    moment = rows[10]["createdAt"]
    exact = ids(api.get("/v1/fax/history", params={"fromDate": moment, "toDate": moment}))
    assert rows[10]["messageId"] in exact


def test_query_searches_numbers_subject_names_ids_csid_and_custom_fields(sandbox, api):
    fax = api.send(
        "2125550177",
        subject="Quarterly invoice",
        recipientName="Dr. Zhivago",
        cf='{"caseNumber": "XK-4411"}',
    ).json()
    other = api.send("3125550100").json()
    for query in (
        "quarterly",
        "ZHIVAGO",
        "xk-4411",
        "2125550177",
        "(212) 555-0177",
        fax["messageId"],
        fax["faxCallerId"],
    ):
        found = ids(api.get("/v1/fax/history", params={"query": query}))
        assert fax["messageId"] in found, query
    assert ids(api.get("/v1/fax/history", params={"query": "quarterly"})) == [fax["messageId"]]
    assert other["messageId"] not in ids(api.get("/v1/fax/history", params={"query": "zhivago"}))
    inbound = sandbox.inbound(sender="+13125550199")
    csid = inbound["faxCsid"] or "3125550199"
    assert inbound["messageId"] in ids(api.get("/v1/fax/history", params={"query": csid}))
    assert api.get("/v1/fax/history", params={"query": "100%_"}).json()["count"] == "0"


def test_tags_user_and_archive_filters(sandbox, api):
    tag = "4c225812-81f1-4827-8194-b0e9475c54e6"
    tagged = api.send(tags=f"{tag},7328e171-bc1f-44a6-bc18-df40a4345c9d").json()
    plain = api.send().json()
    assert ids(api.get("/v1/fax/history", params={"tags": tag})) == [tagged["messageId"]]
    api.patch(f"/v1/fax/{plain['messageId']}", data={"isArchived": "true"})
    assert ids(api.get("/v1/fax/history", params={"isArchived": "true"})) == [plain["messageId"]]
    assert ids(api.get("/v1/fax/history", params={"isArchived": "false"})) == [tagged["messageId"]]
    user = plain["users"][0]["userId"]
    assert len(ids(api.get("/v1/fax/history", params={"userId": user}))) == 2
    assert (
        ids(api.get("/v1/fax/history", params={"userId": "d1077489-5ea1-4db1-9760-853f175e8288"}))
        == []
    )


def test_inbound_faxes_list_the_users_of_the_receiving_number(sandbox, api):
    number = api.get("/v1/numbers").json()["rows"][0]
    user = "fdb9f0dd-ac0c-4f3e-8e4b-1be0225186de"
    api.post(f"/v1/numbers/{number['uuid']}/user/{user}")
    fax = sandbox.inbound(to=number["number"])
    assert ids(api.get("/v1/fax/history", params={"userId": user})) == [fax["messageId"]]


def test_tags_and_contacts_are_listed_only_when_included(sandbox, api):
    contact = api.get("/_sandbox/contacts").json()["rows"][0]
    api.post(
        "/v1/faxes/multiple",
        data={"recipientContacts": contact["uuid"], "coverPage": "true", "tags": "urgent"},
    )
    row = api.get("/v1/fax/history").json()["rows"][0]
    assert row["tags"] == [] and row["contacts"] == []
    row = api.get("/v1/fax/history", params={"include": "tags,contacts"}).json()["rows"][0]
    assert row["tags"] == [{"uuid": "urgent", "name": "urgent"}]
    assert row["contacts"][0]["uuid"] == contact["uuid"]


# --- the rate limit -------------------------------------------------------------------------------
def test_the_ninth_call_within_the_window_answers_429_with_retry_after(sandbox_factory):
    sandbox = sandbox_factory(history_rate="8/60")
    api = Api(sandbox)
    for _ in range(8):
        assert api.get("/v1/fax/history").status_code == 200
    response = api.get("/v1/fax/history")
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert error_of(response)["name"] == "RateLimitError"
    assert error_of(response)["message"].startswith("rate limit of 8 requests per 60 seconds")
    assert api.get("/v1/numbers").status_code == 200  # other endpoints are not limited


def test_the_window_is_fixed_and_resets_in_real_time_whatever_the_speed(sandbox_factory):
    sandbox = sandbox_factory(history_rate="3/1", speed=10000)
    api = Api(sandbox)
    time.sleep(1 - time.time() % 1)  # the start of a window
    for _ in range(3):
        assert api.get("/v1/fax/history").status_code == 200
    refused = api.get("/v1/fax/history")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"  # until the window resets, rounded up
    time.sleep(1.02 - time.time() % 1)  # just after the reset, not a second after the calls
    for _ in range(3):
        assert api.get("/v1/fax/history").status_code == 200


def test_the_429_may_come_without_retry_after(sandbox_factory):
    sandbox = sandbox_factory(history_rate="1/60", retry_after=False)
    api = Api(sandbox)
    assert api.get("/v1/fax/history").status_code == 200
    response = api.get("/v1/fax/history")
    assert response.status_code == 429
    assert "Retry-After" not in response.headers
    assert error_of(response)["name"] == "RateLimitError"


def test_reset_stats_also_resets_the_rate_limit(sandbox_factory):
    sandbox = sandbox_factory(history_rate="1/60")
    api = Api(sandbox)
    assert api.get("/v1/fax/history").status_code == 200
    assert api.get("/v1/fax/history").status_code == 429
    api.post("/_sandbox/reset-stats")
    assert api.get("/v1/fax/history").status_code == 200


def test_a_seeded_history_deals_mostly_with_the_correspondents_it_is_given(sandbox, api):
    regulars = [{"number": "+12127360143", "name": "Northside Clinic"}]
    created = sandbox._json(
        "POST", "/_sandbox/seed", json={"count": 90, "seed": 2, "correspondents": regulars}
    )["created"]
    rows = api.get("/v1/fax/history", params={"limit": 100}).json()["rows"]
    theirs = [r for r in rows if "+12127360143" in (r["faxNumber"], "+1" + r["faxCallerId"])]
    assert created == len(rows) == 90
    assert 40 < len(theirs) < 80
    assert {r["faxCsid"] for r in theirs if r["direction"] == "inbound"} == {"Northside Clinic"}


@pytest.mark.parametrize(
    "correspondents",
    ["+12127360143", [{"number": "555"}], [{"number": "+12127360143", "name": "x" * 41}]],
)
def test_seeding_with_bad_correspondents_is_refused_and_seeds_nothing(sandbox, api, correspondents):
    response = sandbox.request(
        "POST", "/_sandbox/seed", json={"count": 5, "correspondents": correspondents}
    )
    assert response.status_code == 400
    assert api.get("/v1/fax/history").json()["count"] == "0"
