"""Inbound faxes, seeding, stats, cover pages and persistence across restarts."""

from __future__ import annotations

import time

import pytest

from drenfax_portal.sandbox import start_sandbox
from tests.waiting import wait_until

from .conftest import Api, error_of, pdf_pages, pdf_text


# --- inbound --------------------------------------------------------------------------------------
def test_an_inbound_fax_is_received_on_demand_with_a_real_pdf(sandbox, api):
    number = api.get("/v1/numbers").json()["rows"][1]
    response = api.post(
        "/_sandbox/inbound", json={"to": number["number"], "from": "+13125550199", "pages": 2}
    )
    assert response.status_code == 200
    fax = response.json()
    assert fax["direction"] == "inbound" and fax["status"] == "success"
    assert fax["faxNumber"] == "+1" + number["number"]
    assert fax["faxCallerId"] == "3125550199"
    assert fax["pagesCount"] == fax["pagesComplete"] == 2
    assert fax["resolvedDate"] and fax["duration"]
    pdf = api.get(f"/v1/fax/{fax['messageId']}/download").content
    assert pdf_pages(pdf) == 2
    assert "Incoming fax: page 1 of 2" in pdf_text(pdf)
    assert api.get(f"/v1/fax/{fax['messageId']}/info").json() == fax


def test_an_inbound_fax_may_echo_our_own_number_as_caller_id_and_have_no_csid(sandbox, api):
    number = api.get("/v1/numbers").json()["rows"][0]
    fax = sandbox.inbound(to=number["number"], sender=number["number"], csid="")
    assert fax["faxCallerId"] == number["number"] and fax["faxCsid"] == ""


def test_invented_inbound_faxes_sometimes_echo_our_number(sandbox):
    import random

    from drenfax_portal.sandbox.core import ECHOED_CALLER_ID

    rng = random.Random(7)
    faxes = [sandbox.core.create_inbound(rng=rng) for _ in range(60)]
    echoed = [f for f in faxes if "+1" + f["faxCallerId"] == f["faxNumber"]]
    assert 0 < len(echoed) < len(faxes) * ECHOED_CALLER_ID * 3
    assert any(f["faxCsid"] == "" for f in faxes)


def test_inbound_accepts_a_form_and_defaults(api):
    response = api.post("/_sandbox/inbound", data={"pages": "1"})
    assert response.status_code == 200
    owned = {"+1" + n["number"] for n in api.get("/v1/numbers").json()["rows"]}
    assert response.json()["faxNumber"] in owned


@pytest.mark.parametrize(
    "body,message",
    [
        ({"to": "2125550123"}, "is not an active number of this account"),
        ({"to": "12"}, "to: invalid fax number"),
        ({"from": "12"}, "from: invalid fax number"),
        ({"pages": 0}, "pages must be between 1 and 200"),
    ],
)
def test_inbound_refuses_bad_input(api, body, message):
    response = api.post("/_sandbox/inbound", json=body)
    assert response.status_code == 400
    assert message in error_of(response)["message"]


def test_inbound_needs_a_number_to_receive_on(sandbox_factory):
    api = Api(sandbox_factory(numbers=0))
    assert api.post("/_sandbox/inbound", json={}).status_code == 400


def test_inbound_faxes_arrive_on_a_timer_including_on_new_numbers(sandbox_factory):
    sandbox = sandbox_factory(numbers=0, inbound_every=0.05)
    api = Api(sandbox)
    time.sleep(0.15)
    assert api.get("/_sandbox/stats").json()["faxes"]["total"] == 0  # nothing to receive on yet
    (number,) = api.post("/v1/numbers/provision", data={"type": "local"}).json()
    wait_until(lambda: int(api.get("/_sandbox/stats").json()["faxes"]["inbound"]) >= 2)
    rows = api.get("/v1/fax/history", params={"direction": "inbound"}).json()["rows"]
    assert {r["faxNumber"] for r in rows} == {"+1" + number["number"]}


# --- seed and stats -------------------------------------------------------------------------------
def test_seed_creates_thousands_of_terminal_faxes_quickly(sandbox, api):
    started = time.monotonic()
    response = api.post("/_sandbox/seed", json={"count": 5000, "days": 90, "seed": 42})
    assert response.status_code == 201
    assert response.json()["created"] == 5000
    assert time.monotonic() - started < 5
    counts = api.get("/_sandbox/stats").json()["faxes"]
    assert counts["total"] == 5000
    assert counts["inbound"] > 1000 and counts["outbound"] > 1000
    assert set(counts["byStatus"]) <= {"success", "failed", "cancelled"}
    assert counts["byStatus"]["failed"] > 0
    owned = {"+1" + n["number"] for n in api.get("/v1/numbers").json()["rows"]}
    rows = api.get("/v1/fax/history", params={"limit": 500}).json()["rows"]
    assert all(r["faxNumber"] in owned for r in rows if r["direction"] == "inbound")
    assert all("+1" + r["faxCallerId"] in owned for r in rows if r["direction"] == "outbound")
    pdf = api.get(f"/v1/fax/{rows[0]['messageId']}/download").content
    assert pdf_pages(pdf) == rows[0]["pagesCount"]


def test_seed_validates_its_input(api):
    assert api.post("/_sandbox/seed", json={"count": 0}).status_code == 400
    assert api.post("/_sandbox/seed", json={"count": 5, "days": "many"}).status_code == 400


def test_stats_count_calls_per_endpoint_and_reset(sandbox_factory):
    api = Api(sandbox_factory(history_rate="2/60"))
    api.send()
    api.send("123")
    for _ in range(3):
        api.get("/v1/fax/history")
    stats = api.get("/_sandbox/stats").json()
    assert stats["calls"]["POST /v1/faxes"] == 2
    assert stats["responses"]["POST /v1/faxes"] == {"200": 1, "400": 1}
    assert stats["calls"]["GET /v1/fax/history"] == 3
    assert stats["responses"]["GET /v1/fax/history"] == {"200": 2, "429": 1}
    assert stats["faxes"]["total"] == 1 and stats["numbers"]["active"] == 3
    assert api.post("/_sandbox/reset-stats").status_code == 200
    stats = api.get("/_sandbox/stats").json()
    assert stats["calls"] == {}  # sandbox-only endpoints are not counted
    assert stats["faxes"]["total"] == 1


# --- cover pages ----------------------------------------------------------------------------------
def test_cover_pages_list_the_default_and_more_with_preview_links(sandbox, api):
    pages = api.get("/coverpages").json()
    assert pages[0]["uuid"] == "00000000-0000-0000-0000-000000000000"
    assert pages[0]["name"] == "Default"
    assert len(pages) >= 3
    for page in pages:
        assert "${tokens.recipientName}" in page["template"]
        assert page["isPublic"] is True and page["accountId"] is None
        preview = api.session.get(page["previewLink"], headers={"Authorization": ""}, timeout=5)
        assert preview.status_code == 200 and preview.headers["Content-Type"] == "application/pdf"
        assert pdf_pages(preview.content) == 1
    assert (
        api.get("/_sandbox/coverpages/d1077489-5ea1-4db1-9760-853f175e8288.pdf").status_code == 404
    )


@pytest.mark.parametrize(
    "index,title", [(1, "CONFIDENTIAL FAX"), (2, "URGENT: PLEASE DELIVER IMMEDIATELY")]
)
def test_every_cover_page_fills_its_tokens(api, index, title):
    page = api.get("/coverpages").json()[index]
    fax = api.send(
        coverPageId=page["uuid"],
        recipientName="Dr. Lee",
        subject="Labs",
        senderName="Clinic",
        notes="Fasting",
        callerId="5094570051",
    ).json()
    text = pdf_text(api.get(f"/v1/fax/{fax['messageId']}/download").content)
    assert title in text
    for value in (
        "Dr. Lee",
        "Labs",
        "Clinic",
        "Fasting",
        "5094570051",
        "+1 212-555-0123",
        fax["createdAt"][:10],
    ):
        assert value in text
    assert "${tokens" not in text


# --- persistence ----------------------------------------------------------------------------------
def test_state_survives_a_restart(tmp_path):
    state = tmp_path / "sandbox.sqlite3"
    with start_sandbox(state=state, speed=0.5) as first:
        api = Api(first)
        key, account = first.api_key, first.account_id
        numbers = api.get("/v1/numbers").json()["rows"]
        api.post(f"/v1/numbers/{numbers[0]['uuid']}/user/fdb9f0dd-ac0c-4f3e-8e4b-1be0225186de")
        inbound = first.inbound()
        in_progress = api.send().json()
        first.seed(10, seed=1)
    with start_sandbox(state=state, speed=200) as second:
        assert (second.api_key, second.account_id) == (key, account)
        api = Api(second)
        assert api.get("/v1/numbers").json()["rows"] == [
            {**numbers[0], "users": api.get("/v1/numbers").json()["rows"][0]["users"]},
            *numbers[1:],
        ]
        assert api.get("/v1/numbers").json()["rows"][0]["users"][0]["userId"].startswith("fdb9f0dd")
        assert api.get(f"/v1/fax/{inbound['messageId']}/info").json() == inbound
        assert pdf_pages(api.get(f"/v1/fax/{inbound['messageId']}/download").content) == 1
        assert api.get("/v1/fax/history").json()["count"] == "12"
        # the lifecycle carries on where it stopped: its next step is still 4 s away
        assert second.fax(in_progress["messageId"])["status"] == "processing"
        second.advance(5)
        assert second.wait_for_fax(in_progress["messageId"])["status"] == "success"


def test_a_restart_with_other_credentials_uses_them(tmp_path):
    state = tmp_path / "sandbox.sqlite3"
    with start_sandbox(state=state) as first:
        account = first.account_id
    with start_sandbox(state=state, api_key="new-key") as second:
        assert second.api_key == "new-key" and second.account_id == account
