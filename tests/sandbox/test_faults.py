"""Fault injection through /_sandbox/faults: each switch, for endpoints and webhooks."""

from __future__ import annotations

import json

import pytest
import requests

from .conftest import Api, error_of


def fax_total(api) -> int:
    return api.get("/_sandbox/stats").json()["faxes"]["total"]


@pytest.mark.parametrize("status", ["500", "503", "429"])
def test_the_next_n_calls_answer_the_injected_status(api, status):
    response = api.post(
        "/_sandbox/faults", json={"endpoint": "POST /v1/faxes", "fault": status, "count": 2}
    )
    assert response.status_code == 201
    for _ in range(2):
        failed = api.send()
        assert failed.status_code == int(status)
        assert error_of(failed)["message"].startswith("injected fault")
    assert fax_total(api) == 0
    assert api.send().status_code == 200


def test_an_injected_429_carries_retry_after(api):
    api.post(
        "/_sandbox/faults", json={"endpoint": "GET /v1/numbers", "fault": "429", "retry_after": 7}
    )
    response = api.get("/v1/numbers")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


def test_close_drops_the_connection_and_creates_nothing(api):
    api.post("/_sandbox/faults", json={"endpoint": "POST /v1/faxes", "fault": "close"})
    with pytest.raises(requests.ConnectionError):
        api.send()
    assert fax_total(api) == 0
    assert api.send().status_code == 200


def test_close_after_create_drops_the_connection_but_the_fax_exists(api):
    api.post("/_sandbox/faults", json={"endpoint": "POST /v1/faxes", "fault": "close_after_create"})
    with pytest.raises(requests.ConnectionError):
        api.send()
    assert fax_total(api) == 1


def test_stall_after_create_times_the_client_out_although_the_fax_exists(sandbox, api):
    api.post(
        "/_sandbox/faults",
        json={"endpoint": "POST /v1/faxes", "fault": "stall_after_create", "stall_seconds": 5},
    )
    with pytest.raises(requests.ReadTimeout):
        api.send("2125550155", timeout=0.5)
    rows = api.get("/v1/fax/history").json()["rows"]
    assert [r["faxNumber"] for r in rows] == ["+12125550155"]
    assert sandbox.wait_for_fax(rows[0]["messageId"])["status"] == "success"


def test_a_stalled_request_answers_after_the_stall(api):
    api.post(
        "/_sandbox/faults",
        json={"endpoint": "GET /v1/numbers", "fault": "stall", "stall_seconds": 0.3},
    )
    response = api.get("/v1/numbers", timeout=5)
    assert response.status_code == 200
    assert response.elapsed.total_seconds() >= 0.3


def test_malformed_json_answers_a_broken_body_after_processing(api):
    api.post("/_sandbox/faults", json={"endpoint": "POST /v1/faxes", "fault": "malformed_json"})
    response = api.send()
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(response.text)
    assert fax_total(api) == 1


def test_endpoints_may_name_concrete_paths_templates_or_any_method(api):
    fax = api.send().json()
    api.post(
        "/_sandbox/faults",
        json={"endpoint": f"GET /v1/fax/{fax['messageId']}/info", "fault": "503"},
    )
    assert api.get("/v1/fax/someone-else/info").status_code == 503  # the whole route
    api.post(
        "/_sandbox/faults", json={"endpoint": "* /v1/fax/{messageId}", "fault": "500", "count": 2}
    )
    assert api.patch(f"/v1/fax/{fax['messageId']}", data={"isArchived": "true"}).status_code == 500
    assert api.delete(f"/v1/fax/{fax['messageId']}").status_code == 500
    api.post("/_sandbox/faults", json={"endpoint": "*", "fault": "503"})
    assert api.get("/coverpages").status_code == 503
    assert api.get("/coverpages").status_code == 200


def test_faults_never_hit_sandbox_endpoints(api):
    api.post("/_sandbox/faults", json={"endpoint": "*", "fault": "500"})
    assert api.get("/_sandbox/stats").status_code == 200
    assert len(api.get("/_sandbox/faults").json()["faults"]) == 1


def test_faults_are_listed_and_cleared(api):
    api.post(
        "/_sandbox/faults",
        json=[
            {"endpoint": "POST /v1/faxes", "fault": "503", "count": 3},
            {"webhook": "duplicate"},
        ],
    )
    faults = api.get("/_sandbox/faults").json()["faults"]
    assert [
        (f.get("endpoint"), f.get("fault"), f.get("webhook"), f["remaining"]) for f in faults
    ] == [
        ("POST /v1/faxes", "503", None, 3),
        (None, None, "duplicate", 1),
    ]
    api.send()
    assert api.get("/_sandbox/faults").json()["faults"][0]["remaining"] == 2
    assert api.delete("/_sandbox/faults").json() == {"cleared": 2}
    assert api.get("/_sandbox/faults").json()["faults"] == []
    assert api.send().status_code == 200


@pytest.mark.parametrize(
    "body,message",
    [
        ({"endpoint": "POST /v1/faxes", "fault": "teapot"}, "fault must be one of"),
        ({"fault": "500"}, "endpoint is required"),
        ({"endpoint": "POST /v9/nothing", "fault": "500"}, "no API endpoint /v9/nothing"),
        ({"endpoint": "PUT /v1/faxes", "fault": "500"}, "no API endpoint PUT /v1/faxes"),
        ({"endpoint": "POST /v1/faxes", "fault": "500", "count": 0}, "count must be an integer"),
        ({"webhook": "late"}, "webhook must be one of"),
        (
            {"endpoint": "POST /v1/faxes", "fault": "500", "colour": "red"},
            "unknown fault keys: colour",
        ),
        ({"endpoint": "POST /v1/faxes", "fault": "stall", "stall_seconds": -1}, "stall_seconds"),
    ],
)
def test_bad_faults_are_refused(api, body, message):
    response = api.post("/_sandbox/faults", json=body)
    assert response.status_code == 400
    assert message in error_of(response)["message"]
    assert api.post("/_sandbox/faults", data=b"not json").status_code == 400


# --- webhook faults -------------------------------------------------------------------------------
def test_duplicate_delivers_the_same_event_twice(sandbox_factory, receiver):
    sandbox = sandbox_factory(webhook_url=receiver.url)
    sandbox.add_fault(webhook="duplicate")
    fax = sandbox.inbound()
    assert sandbox.wait_webhooks_idle()
    events = receiver.json_events(fax["messageId"])
    assert len(events) == 2
    assert events[0]["call"]["body"] == events[1]["call"]["body"]
    log = [entry for entry in sandbox.webhook_log() if entry["messageId"] == fax["messageId"]]
    assert len({entry["delivery"] for entry in log}) == 1


def test_out_of_order_delivers_an_event_after_a_later_one(sandbox_factory, receiver):
    sandbox = sandbox_factory(speed=200, webhook_url=receiver.url)
    sandbox.add_fault(webhook="out_of_order")
    fax = Api(sandbox).send().json()
    sandbox.wait_for_fax(fax["messageId"])
    assert sandbox.wait_webhooks_idle()
    statuses = [e["fax"]["status"] for e in receiver.json_events(fax["messageId"])]
    assert statuses == ["transmitting", "processing", "transmitting", "success"]


def test_drop_loses_the_event(sandbox_factory, receiver):
    sandbox = sandbox_factory(webhook_url=receiver.url)
    sandbox.add_fault(webhook="drop", count=1)
    dropped = sandbox.inbound()
    kept = sandbox.inbound()
    assert sandbox.wait_webhooks_idle()
    assert receiver.json_events(dropped["messageId"]) == []
    assert len(receiver.json_events(kept["messageId"])) == 1
    assert sandbox.stats()["webhooks"]["dropped"] == 1
