"""Strings from faxes, senders and users are shown as text, never run as markup."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from drenfax_portal.audit.services import audit_record
from tests.factories import make_fax, make_number
from tests.send.helpers import pdf_bytes, upload

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('xss')</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
PAYLOADS = [SCRIPT, ATTRIBUTE]


def assert_inert(body: str, payload: str) -> None:
    assert payload not in body, payload
    assert escape(payload) in body, escape(payload)


@pytest.fixture
def hostile_faxes(alice):
    make_number("+12065550100", alice)
    inbound = make_fax(
        direction="inbound",
        status="success",
        faxNumber="+12065550100",
        faxCallerId="+14155550123",
        faxCsid=SCRIPT,
        subject=ATTRIBUTE,
        tags=[SCRIPT],
        cf={SCRIPT: ATTRIBUTE},
    )
    outbound = make_fax(
        direction="outbound",
        status="failed",
        faxCallerId="+12065550100",
        recipientName=SCRIPT,
        subject=SCRIPT,
        errorInfo=ATTRIBUTE,
    )
    return inbound, outbound


def test_the_detail_page_escapes_csid_subject_tags_and_custom_fields(alice_client, hostile_faxes):
    inbound, outbound = hostile_faxes
    body = alice_client.get(f"/faxes/{inbound.message_id}/").content.decode()
    for payload in PAYLOADS:
        assert_inert(body, payload)
    body = alice_client.get(f"/faxes/{outbound.message_id}/").content.decode()
    for payload in PAYLOADS:
        assert_inert(body, payload)


def test_the_history_escapes_every_column(alice_client, hostile_faxes):
    body = alice_client.get("/faxes/").content.decode()
    assert SCRIPT not in body and ATTRIBUTE not in body
    assert escape(SCRIPT) in body  # CSID, recipient name, tag
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in body  # the subject, truncated


def test_an_uploaded_file_name_is_shown_as_text(alice_client):
    for name in (f"{SCRIPT}.pdf", f"{ATTRIBUTE}.pdf"):
        response = alice_client.post(
            "/faxes/send/upload/", {"attachments": [upload(name, pdf_bytes(1))]}
        )
        body = response.content.decode()
        assert "<script>alert" not in body and "<img src=x" not in body


def test_a_hostile_username_and_details_are_inert_on_the_audit_page(staff_client):
    audit_record("auth.login_failed", username=SCRIPT, success=False, details={"n": ATTRIBUTE})
    body = staff_client.get("/audit/").content.decode()
    assert_inert(body, SCRIPT)
    assert_inert(body, ATTRIBUTE)


def test_the_send_form_keeps_typed_text_escaped(alice_client, api):
    from tests.conftest import API_URL
    from tests.send.helpers import form_data

    api.get(f"{API_URL}/v1/coverpages", json=[])
    data = form_data(action="update", subject=SCRIPT, recipient_name=ATTRIBUTE)
    data.update({"cf_key": [SCRIPT], "cf_value": [ATTRIBUTE], "tags": SCRIPT})
    body = alice_client.post("/faxes/send/", data).content.decode()
    assert SCRIPT not in body and ATTRIBUTE not in body
    assert escape(SCRIPT) in body
