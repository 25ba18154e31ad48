"""Webhooks: every status change POSTed with Basic auth, retried, in order, never blocking."""

from __future__ import annotations

import base64
import json
import time

from tests.waiting import wait_until

from .conftest import Api, multipart_fields, pdf_pages

AUTH = "drenfax:s3cret"


def test_each_status_change_is_posted_as_the_fax_object_naming_its_event(sandbox_factory, receiver):
    sandbox = sandbox_factory(speed=200, webhook_url=receiver.url, webhook_auth=AUTH)
    api = Api(sandbox)
    fax = api.send("2125550123").json()
    sandbox.wait_for_fax(fax["messageId"])
    assert sandbox.wait_webhooks_idle()
    events = receiver.json_events(fax["messageId"])
    assert [e["event"] for e in events] == [
        "fax.v1.outbound.processing",
        "fax.v1.outbound.transmitting",
        "fax.v1.outbound.transmitting",
        "fax.v1.outbound.complete",
    ]
    assert [e["fax"]["status"] for e in events] == [
        "processing",
        "transmitting",
        "transmitting",
        "success",
    ]
    headers = events[0]["call"]["headers"]
    assert headers["Authorization"] == "Basic " + base64.b64encode(AUTH.encode()).decode()
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"].startswith("Drenfax-Webhooks/")
    # The flat JSON is the fax object plus its event, nothing else.
    assert events[-1]["fax"] == api.get(f"/v1/fax/{fax['messageId']}/info").json()


def test_webhooks_carry_no_header_the_provider_does_not_send(sandbox_factory, receiver):
    sandbox = sandbox_factory(webhook_url=receiver.url, webhook_auth=AUTH)
    sandbox.inbound()
    assert sandbox.wait_webhooks_idle()
    names = {name.lower() for name in receiver.calls[0]["headers"]}
    assert names <= {
        "host",
        "user-agent",
        "accept",
        "accept-encoding",
        "connection",
        "content-type",
        "content-length",
        "authorization",
    }


def test_a_failed_fax_is_reported_too(sandbox_factory, receiver):
    sandbox = sandbox_factory(webhook_url=receiver.url)
    fax = Api(sandbox).send("2125550001").json()
    sandbox.wait_for_fax(fax["messageId"])
    assert sandbox.wait_webhooks_idle()
    last = receiver.json_events(fax["messageId"])[-1]
    assert last["event"] == "fax.v1.outbound.complete"
    assert last["fax"]["status"] == "failed" and last["fax"]["resultInfo"] == "Busy"


def test_no_authorization_header_without_webhook_auth(sandbox_factory, receiver):
    sandbox = sandbox_factory(webhook_url=receiver.url)
    sandbox.inbound()
    assert sandbox.wait_webhooks_idle()
    assert "Authorization" not in receiver.calls[0]["headers"]


def test_inbound_faxes_are_posted_once_when_complete(sandbox_factory, receiver):
    sandbox = sandbox_factory(webhook_url=receiver.url)
    fax = sandbox.inbound(pages=2)
    assert sandbox.wait_webhooks_idle()
    (event,) = receiver.json_events(fax["messageId"])
    assert event["event"] == "fax.v1.inbound.complete"
    assert event["fax"]["status"] == "success" and event["fax"]["direction"] == "inbound"


def test_the_multipart_format_sends_data_and_the_inbound_pdf(sandbox_factory, receiver):
    sandbox = sandbox_factory(
        webhook_url=receiver.url, webhook_format="multipart", webhook_auth=AUTH
    )
    fax = sandbox.inbound(pages=3)
    outbound = Api(sandbox).send().json()
    sandbox.wait_for_fax(outbound["messageId"])
    assert sandbox.wait_webhooks_idle()
    calls = {json.loads(multipart_fields(c)["data"][1])["messageId"]: c for c in receiver.calls}
    inbound_fields = multipart_fields(calls[fax["messageId"]])
    assert json.loads(inbound_fields["data"][1])["messageId"] == fax["messageId"]
    headers, pdf = inbound_fields["attachment"]
    assert headers["Content-Type"] == "application/pdf"
    assert pdf_pages(pdf) == 3
    assert calls[fax["messageId"]]["headers"]["Content-Type"].startswith(
        "multipart/form-data; boundary="
    )
    assert "attachment" not in multipart_fields(calls[outbound["messageId"]])
    events = receiver.json_events(outbound["messageId"])
    assert len(events) == 4
    # Legacy deliveries do not name their event: the receiver tells it from the fax.
    assert {e["event"] for e in events} == {None}
    assert set(multipart_fields(calls[outbound["messageId"]])) == {"data"}


def test_failed_deliveries_are_retried_until_accepted(sandbox_factory, receiver):
    receiver.statuses = [500, 503, 404]
    sandbox = sandbox_factory(speed=100, webhook_url=receiver.url)  # retries after 50, 250, 1200 ms
    fax = sandbox.inbound()
    assert sandbox.wait_webhooks_idle(timeout=10)
    assert [c["status"] for c in receiver.calls] == [500, 503, 404, 200]
    assert len({c["body"] for c in receiver.calls}) == 1  # the same delivery each time
    (entry,) = [e for e in sandbox.webhook_log() if e["result"] == "delivered"]
    assert entry["attempts"] == 4
    gaps = [b["at"] - a["at"] for a, b in zip(receiver.calls, receiver.calls[1:], strict=False)]
    assert gaps[0] >= 0.04 and gaps[1] >= 0.2 and gaps[2] >= 1.0
    assert receiver.json_events(fax["messageId"])[0]["event"] == "fax.v1.inbound.complete"


def test_delivery_gives_up_after_seven_retries(sandbox_factory, receiver):
    receiver.statuses = [500] * 20
    sandbox = sandbox_factory(speed=200000, webhook_url=receiver.url)  # the 22 h retry: 0.4 s
    sandbox.inbound()
    assert sandbox.wait_webhooks_idle(timeout=10)
    assert len(receiver.calls) == 8
    stats = sandbox.stats()["webhooks"]
    assert stats["given_up"] == 1 and stats["failed_attempts"] == 8 and stats["delivered"] == 0
    assert sandbox.webhook_log()[-1]["result"] == "given_up"


def test_connection_errors_are_retried(sandbox_factory, receiver):
    sandbox = sandbox_factory(speed=1000, webhook_url="http://127.0.0.1:9/unreachable")
    sandbox.inbound()
    wait_until(lambda: sandbox.stats()["webhooks"]["failed_attempts"] >= 2)
    assert sandbox.webhook_log()[0]["error"].startswith("ConnectionError")
    sandbox.set_webhook(receiver.url)  # the pending delivery goes to the new URL
    assert sandbox.wait_webhooks_idle(timeout=10)
    assert len(receiver.calls) == 1


def test_a_fax_waits_behind_its_own_failing_event_so_order_is_kept(sandbox_factory, receiver):
    receiver.statuses = [500, 500]
    sandbox = sandbox_factory(speed=500, webhook_url=receiver.url)
    fax = Api(sandbox).send().json()
    sandbox.wait_for_fax(fax["messageId"])
    assert sandbox.wait_webhooks_idle(timeout=10)
    statuses = [e["fax"]["status"] for e in receiver.json_events(fax["messageId"])]
    assert statuses == ["processing", "transmitting", "transmitting", "success"]


def test_a_slow_receiver_never_blocks_the_api(sandbox_factory, receiver):
    receiver.delay = 1.5
    sandbox = sandbox_factory(speed=1000, webhook_url=receiver.url)
    api = Api(sandbox)
    started = time.monotonic()
    for _ in range(3):
        assert api.send().status_code == 200
    assert time.monotonic() - started < 1.2


def test_webhooks_can_be_configured_at_runtime(sandbox, receiver, api):
    sandbox.set_webhook(receiver.url, auth="a:b", format="json")
    sandbox.inbound()
    assert sandbox.wait_webhooks_idle()
    assert (
        receiver.calls[0]["headers"]["Authorization"]
        == "Basic " + base64.b64encode(b"a:b").decode()
    )
    sandbox.set_webhook(None)
    sandbox.inbound()
    assert sandbox.wait_webhooks_idle()
    assert len(receiver.calls) == 1
    assert api.post("/_sandbox/webhooks", json={"url": "ftp://x"}).status_code == 400
    assert (
        api.post("/_sandbox/webhooks", json={"url": receiver.url, "auth": "nocolon"}).status_code
        == 400
    )
