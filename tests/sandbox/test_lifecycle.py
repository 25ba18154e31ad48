"""The fax lifecycle on an accelerated clock; cancel, archive and delete."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.waiting import wait_until

from .conftest import Api, error_of, pdf_bytes


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_a_fax_goes_processing_transmitting_then_success_with_pages_rising(
    sandbox_factory, receiver
):
    sandbox = sandbox_factory(speed=100, webhook_url=receiver.url)
    api = Api(sandbox)
    fax = api.send(files={"attachments": ("a.pdf", pdf_bytes(3), "application/pdf")}).json()
    done = sandbox.wait_for_fax(fax["messageId"])
    assert done["status"] == "success"
    assert done["pagesComplete"] == done["pagesCount"] == 3
    assert done["resultCode"] == "0" and done["resultInfo"] == "OK"
    assert done["errorInfo"] is None
    assert done["duration"] > 0 and done["faxSpeed"] in (14400, 33600)
    assert done["faxProtocol"] in (17, 34) and done["faxECM"] == 256
    assert done["faxAttempt"] == 1 and done["faxDetected"] is True
    assert done["resolvedDate"] >= done["createdAt"]
    assert done["deliveryId"] and done["messageNumber"]
    assert sandbox.wait_webhooks_idle()
    seen = [
        (e["fax"]["status"], e["fax"]["pagesComplete"])
        for e in receiver.json_events(fax["messageId"])
    ]
    assert seen == [
        ("processing", 0),
        ("transmitting", 0),
        ("transmitting", 1),
        ("transmitting", 2),
        ("transmitting", 3),
        ("success", 3),
    ]


def test_the_lifecycle_takes_a_few_seconds_per_page_divided_by_speed(sandbox_factory):
    sandbox = sandbox_factory(speed=10)  # 2 + 3 + 3 + 1 = 9 s at speed 1 for one page
    api = Api(sandbox)
    started = time.monotonic()
    fax = api.send().json()
    assert fax["status"] == "processing"
    sandbox.wait_for_fax(fax["messageId"], {"transmitting"}, timeout=5)
    assert time.monotonic() - started >= 0.18
    sandbox.wait_for_fax(fax["messageId"], timeout=5)
    assert time.monotonic() - started >= 0.85


@pytest.mark.parametrize(
    "number,code,info",
    [
        ("2125550001", "6000", "Busy"),
        ("2125550002", "6100", "No answer"),
        ("+12125550003", "6200", "Not a fax machine"),
    ],
)
def test_test_numbers_fail_deterministically(sandbox, api, number, code, info):
    fax = api.send(number).json()
    done = sandbox.wait_for_fax(fax["messageId"])
    assert done["status"] == "failed"
    assert done["resultCode"] == code
    assert done["resultInfo"] == info
    assert done["errorInfo"] and done["errorCode"]
    assert done["pagesComplete"] == 0
    assert done["resolvedDate"] and done["duration"] > 0 and done["faxAttempt"] >= 1


def test_other_numbers_succeed(sandbox, api):
    for number in ("2125550004", "3125550000", "+442079460000"):
        fax = api.send(number).json()
        assert sandbox.wait_for_fax(fax["messageId"])["status"] == "success"


def test_a_terminal_status_never_changes(sandbox, api):
    fax = api.send().json()
    sandbox.wait_for_fax(fax["messageId"])
    time.sleep(0.1)
    assert api.get(f"/v1/fax/{fax['messageId']}/info").json()["status"] == "success"


def test_a_future_scheduled_date_waits_then_starts_when_due(sandbox, api):
    when = datetime.now(UTC) + timedelta(seconds=1)
    fax = api.send(scheduledDate=when.isoformat()).json()
    assert fax["status"] == "scheduled"
    assert fax["scheduledDate"].startswith(when.strftime("%Y-%m-%dT%H:%M:%S"))
    time.sleep(0.2)
    assert api.get(f"/v1/fax/{fax['messageId']}/info").json()["status"] == "scheduled"
    assert sandbox.wait_for_fax(fax["messageId"], timeout=5)["status"] == "success"
    assert time.time() >= when.timestamp()


def test_advancing_the_sandbox_clock_starts_scheduled_faxes(sandbox, api):
    when = datetime.now(UTC) + timedelta(hours=2)
    fax = api.send(scheduledDate=_iso(when)).json()
    assert fax["status"] == "scheduled"
    sandbox.advance(2 * 3600 + 1)
    assert sandbox.wait_for_fax(fax["messageId"])["status"] == "success"


def test_the_clock_endpoint_validates_its_input(api):
    assert api.post("/_sandbox/clock", json={"advance": -5}).status_code == 400
    assert api.post("/_sandbox/clock", json={"advance": "soon"}).status_code == 400


# --- cancel ---------------------------------------------------------------------------------------
def test_a_processing_fax_can_be_cancelled(sandbox_factory, receiver):
    sandbox = sandbox_factory(speed=0.05, webhook_url=receiver.url)
    api = Api(sandbox)
    fax = api.send().json()
    response = api.post(f"/v1/fax/{fax['messageId']}/cancel")
    assert response.status_code == 200
    cancelled = response.json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["resultCode"] is None and cancelled["resultInfo"] is None
    assert api.get(f"/v1/fax/{fax['messageId']}/info").json()["status"] == "cancelled"
    wait_until(
        lambda: [
            e for e in receiver.json_events(fax["messageId"]) if e["fax"]["status"] == "cancelled"
        ]
    )
    assert receiver.json_events(fax["messageId"])[-1]["event"] == "fax.v1.outbound.complete"


def test_a_scheduled_fax_can_be_cancelled_and_never_starts(sandbox, api):
    fax = api.send(scheduledDate=_iso(datetime.now(UTC) + timedelta(hours=1))).json()
    assert api.post(f"/v1/fax/{fax['messageId']}/cancel").json()["status"] == "cancelled"
    sandbox.advance(3601)
    time.sleep(0.2)
    assert api.get(f"/v1/fax/{fax['messageId']}/info").json()["status"] == "cancelled"


def test_a_transmitting_fax_cannot_be_cancelled(sandbox_factory):
    sandbox = sandbox_factory(speed=2)
    api = Api(sandbox)
    fax = api.send().json()
    sandbox.wait_for_fax(fax["messageId"], {"transmitting"}, timeout=5)
    response = api.post(f"/v1/fax/{fax['messageId']}/cancel")
    assert response.status_code == 400
    assert error_of(response)["message"] == (
        "only processing or scheduled faxes can be cancelled; this one is transmitting"
    )


def test_a_completed_fax_cannot_be_cancelled(sandbox, api):
    fax = api.send().json()
    sandbox.wait_for_fax(fax["messageId"])
    assert api.post(f"/v1/fax/{fax['messageId']}/cancel").status_code == 400


def test_an_inbound_fax_cannot_be_cancelled(sandbox, api):
    fax = sandbox.inbound()
    assert api.post(f"/v1/fax/{fax['messageId']}/cancel").status_code == 400


def test_cancelling_an_unknown_fax_is_404(api):
    assert api.post("/v1/fax/027012f1-80c9-4be5-b093-1f54783dfa3b/cancel").status_code == 404


# --- archive --------------------------------------------------------------------------------------
def test_the_archive_flag_is_set_and_cleared_with_urlencoded_is_archived(api):
    fax = api.send().json()
    path = f"/v1/fax/{fax['messageId']}"
    response = api.patch(path, data={"isArchived": "true"})
    assert response.status_code == 200
    assert response.json()["isArchived"] is True
    assert api.get(f"{path}/info").json()["isArchived"] is True
    assert api.patch(path, data={"isArchived": "false"}).json()["isArchived"] is False


def test_archiving_keeps_the_lifecycle_going(sandbox, api):
    fax = api.send().json()
    api.patch(f"/v1/fax/{fax['messageId']}", data={"isArchived": "true"})
    assert sandbox.wait_for_fax(fax["messageId"])["status"] == "success"


@pytest.mark.parametrize(
    "data,message",
    [
        ({}, "isArchived is required (true or false)"),
        ({"isArchived": "maybe"}, "isArchived must be true or false, not 'maybe'"),
        ({"isArchived": "true", "subject": "x"}, "only isArchived can be updated, not subject"),
    ],
)
def test_the_archive_flag_is_validated(api, data, message):
    fax = api.send().json()
    response = api.patch(f"/v1/fax/{fax['messageId']}", data=data)
    assert response.status_code == 400
    assert error_of(response)["message"] == message


# --- delete ---------------------------------------------------------------------------------------
def test_a_deleted_fax_is_404_everywhere(sandbox, api):
    fax = api.send().json()
    sandbox.wait_for_fax(fax["messageId"])
    path = f"/v1/fax/{fax['messageId']}"
    response = api.delete(path)
    assert response.status_code == 200
    assert response.text == "OK"
    assert api.get(f"{path}/info").status_code == 404
    assert api.get(f"{path}/download").status_code == 404
    assert api.post(f"{path}/cancel").status_code == 404
    assert api.patch(path, data={"isArchived": "true"}).status_code == 404
    assert api.delete(path).status_code == 404
    assert api.post("/v1/fax/resend", data={"messageId": fax["messageId"]}).status_code == 404
    history = api.get("/v1/fax/history").json()
    assert fax["messageId"] not in [r["messageId"] for r in history["rows"]]


def test_deleting_a_fax_in_progress_stops_it(sandbox_factory, receiver):
    sandbox = sandbox_factory(speed=1, webhook_url=receiver.url)
    api = Api(sandbox)
    fax = api.send().json()
    assert api.delete(f"/v1/fax/{fax['messageId']}").status_code == 200
    sandbox.advance(60)  # well past the end of its lifecycle
    time.sleep(0.2)
    assert sandbox.wait_webhooks_idle()
    assert [e["fax"]["status"] for e in receiver.json_events(fax["messageId"])] == ["processing"]
