"""Every sensitive action leaves one audit row: who, when, from where, what, and the outcome."""

from __future__ import annotations

import uuid

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client

from drenfax_portal.audit.models import AuditEvent
from fax_numbers.models import FaxNumber
from tests.conftest import API_URL, PASSWORD
from tests.factories import fax_payload, make_fax, make_number
from tests.numbers.payloads import cached_number, number_payload
from tests.send.helpers import form_data

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def only(action: str) -> AuditEvent:
    events = list(AuditEvent.objects.filter(action=action))
    assert len(events) == 1, [str(e) for e in AuditEvent.objects.all()]
    return events[0]


@pytest.fixture
def fax(alice):
    make_number("+12065550100", alice)
    return make_fax(direction="outbound", status="failed", faxCallerId="+12065550100")


@pytest.fixture
def open_fax(alice):
    make_number("+12065550100", alice)
    return make_fax(direction="outbound", status="processing", faxCallerId="+12065550100")


# --- signing in and out ------------------------------------------------------------------------


def test_a_sign_in_is_recorded_with_the_address(client, alice):
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    event = only("auth.login")
    assert (event.username, event.actor_id, event.ip) == ("alice", alice.pk, "127.0.0.1")
    assert event.outcome == "success" and event.details == {"second_factor": "not enrolled"}


def test_a_failed_sign_in_is_recorded_under_the_name_tried(client, alice):
    client.post("/accounts/login/", {"username": "alice", "password": "hunter2-guess"})
    event = only("auth.login_failed")
    assert (event.username, event.actor_id, event.outcome) == ("alice", None, "failure")
    assert "hunter2" not in str(event.details)  # never the password tried


def test_a_sign_out_is_recorded(alice_client, alice):
    alice_client.post("/accounts/logout/")
    assert only("auth.logout").actor_id == alice.pk


def test_a_password_change_is_recorded(client, alice):
    client.force_login(alice)
    new = "another long passphrase 42"
    client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    event = only("auth.password_changed")
    assert event.object_id == str(alice.pk) and new not in str(event.details)


# --- faxes ------------------------------------------------------------------------------------


def test_viewing_a_fax_is_recorded_but_its_status_polls_are_not(alice_client, alice, fax):
    alice_client.get(f"/faxes/{fax.message_id}/")
    alice_client.get(
        f"/faxes/{fax.message_id}/", headers={"HX-Request": "true", "HX-Target": "fax-status"}
    )
    event = only("fax.viewed")
    assert (event.object_type, event.object_id) == ("faxes.fax", str(fax.message_id))
    assert event.username == "alice"


def test_opening_and_downloading_the_document_are_recorded(alice_client, api, fax):
    api.get(f"{API_URL}/v1/fax/{fax.message_id}/download", body=PDF, content_type="application/pdf")
    alice_client.get(f"/faxes/{fax.message_id}/pdf")
    alice_client.get(f"/faxes/{fax.message_id}/pdf?download=1")
    events = AuditEvent.objects.filter(action="fax.pdf_downloaded").order_by("id")
    assert [e.details for e in events] == [{"download": False}, {"download": True}]
    assert {e.object_id for e in events} == {str(fax.message_id)}


def test_another_members_fax_leaves_no_view_event(bob_client, fax):
    assert bob_client.get(f"/faxes/{fax.message_id}/").status_code == 404
    assert not AuditEvent.objects.filter(action="fax.viewed").exists()


def test_exporting_the_fax_list_is_recorded(alice_client, fax):
    b"".join(alice_client.get("/faxes/export.csv?status=failed").streaming_content)
    assert only("fax.exported").details == {"filters": ["status"]}


def test_a_send_is_recorded_with_its_submission(alice_client, api):
    answer = fax_payload(status="processing", faxNumber="+12065550111")
    api.post(f"{API_URL}/v1/faxes", json=answer)
    api.get(f"{API_URL}/v1/coverpages", json=[])
    key = str(uuid.uuid4())
    alice_client.post("/faxes/send/", form_data(submission_key=key))
    event = only("fax.sent")
    assert (event.object_type, event.object_id, event.outcome) == (
        "faxes.submission",
        key,
        "success",
    )
    assert event.details == {"to": ["+12065550111"]}
    alice_client.post("/faxes/send/", form_data(submission_key=key))  # the same form again
    assert AuditEvent.objects.filter(action="fax.sent").count() == 1


def test_a_refused_send_is_recorded_as_a_failure(alice_client, api):
    api.post(f"{API_URL}/v1/faxes", status=400, json={"error": "InvalidInputError: bad"})
    api.get(f"{API_URL}/v1/coverpages", json=[])
    alice_client.post("/faxes/send/", form_data())
    assert only("fax.sent").outcome == "failure"


def test_a_resend_is_recorded(alice_client, api, fax):
    api.post(f"{API_URL}/v1/fax/resend", json={"success": [fax_payload()], "errors": []})
    key = str(uuid.uuid4())
    alice_client.post(f"/faxes/{fax.message_id}/resend/", {"submission_key": key})
    event = only("fax.resent")
    assert event.object_id == str(fax.message_id) and event.details == {"submission": key}


def test_archive_and_unarchive_are_recorded(alice_client, api, fax):
    api.patch(f"{API_URL}/v1/fax/{fax.message_id}", json={**fax.raw, "isArchived": True})
    alice_client.post(f"/faxes/{fax.message_id}/archive/", {"archived": "1"})
    api.replace("PATCH", f"{API_URL}/v1/fax/{fax.message_id}", json=fax.raw)
    alice_client.post(f"/faxes/{fax.message_id}/archive/", {"archived": "0"})
    assert only("fax.archived").outcome == "success"
    assert only("fax.unarchived").object_id == str(fax.message_id)


def test_a_failed_archive_is_recorded_as_a_failure_with_the_error_kind(alice_client, api, fax):
    api.patch(f"{API_URL}/v1/fax/{fax.message_id}", status=503, json={"error": "down"})
    alice_client.post(f"/faxes/{fax.message_id}/archive/", {"archived": "1"})
    event = only("fax.archived")
    assert event.outcome == "failure"
    assert event.details["status"] == 503 and event.details["error"].endswith("Error")


def test_cancel_is_recorded(alice_client, api, open_fax):
    api.post(
        f"{API_URL}/v1/fax/{open_fax.message_id}/cancel",
        json={**open_fax.raw, "status": "cancelled"},
    )
    alice_client.post(f"/faxes/{open_fax.message_id}/cancel/")
    assert only("fax.cancelled").object_id == str(open_fax.message_id)


def test_delete_is_recorded_and_a_failed_one_too(alice_client, api, fax):
    api.delete(f"{API_URL}/v1/fax/{fax.message_id}", body=requests.ConnectTimeout())
    alice_client.post(f"/faxes/{fax.message_id}/delete/")
    api.replace("DELETE", f"{API_URL}/v1/fax/{fax.message_id}", body="OK")
    alice_client.post(f"/faxes/{fax.message_id}/delete/")
    outcomes = list(
        AuditEvent.objects.filter(action="fax.deleted").order_by("id").values_list("outcome")
    )
    assert outcomes == [("failure",), ("success",)]


# --- numbers ------------------------------------------------------------------------------------


def test_provisioning_is_recorded_with_the_new_numbers(staff_client, api):
    new = number_payload("2065550123")
    api.post(f"{API_URL}/v1/numbers/provision", json=[new])
    page = staff_client.post("/numbers/provision/", {"kind": "local", "quantity": "1"})
    key = page.context["key"]
    staff_client.post("/numbers/provision/", {"kind": "local", "quantity": "1", "key": key})
    event = only("number.provisioned")
    assert event.object_type == "numbers.provisioning" and event.object_id == key
    assert event.details == {"state": "done", "numbers": [new["uuid"]]}
    assert event.username == "staffer"


def test_assign_and_unassign_are_recorded(staff_client, alice):
    number = cached_number("2065550199")
    staff_client.post(f"/numbers/{number.uuid}/assign/", {"user": alice.pk})
    staff_client.post(f"/numbers/{number.uuid}/unassign/", {"user": alice.pk})
    for action in ("number.assigned", "number.unassigned"):
        event = only(action)
        assert (event.object_type, event.object_id) == ("numbers.faxnumber", str(number.uuid))
        assert event.details == {"user": "alice"}


def test_storage_changes_are_recorded_without_the_password(staff_client, api, alice):
    number = cached_number("2065550100", alice)
    api.patch(f"{API_URL}/v1/numbers/{number.uuid}", json=number_payload(uid=str(number.uuid)))
    secret = "Tr0ub4dor&3-very-secret"
    staff_client.post(
        f"/numbers/{number.uuid}/storage/",
        {
            "protocol": "sftp",
            "host": "files.example.com",
            "port": "22",
            "user": "faxbot",
            "password": secret,
            "output_dir": "in/",
        },
    )
    event = only("number.storage_changed")
    assert event.details == {
        "protocol": "sftp",
        "host": "files.example.com",
        "new_password": True,
    }
    assert secret not in str(AuditEvent.objects.values_list("details", flat=True))


def test_a_release_is_recorded(staff_client, api, alice):
    number = cached_number("2065550100", alice)
    api.delete(f"{API_URL}/v1/numbers/{number.uuid}/release", body="OK")
    api.get(f"{API_URL}/v1/numbers", json={"rows": [], "count": 0})
    staff_client.post(f"/numbers/{number.uuid}/release/", {"typed": "(206) 555-0100"})
    assert only("number.released").object_id == str(number.uuid)
    assert FaxNumber.objects.get(pk=number.pk).state != FaxNumber.State.ASSIGNED


# --- people -------------------------------------------------------------------------------------


def test_a_profile_change_on_the_team_page_is_recorded(staff_client, alice):
    staff_client.post(f"/numbers/team/{alice.pk}/", {"timezone": "Europe/Berlin"})
    event = only("user.profile_changed")
    assert (event.object_type, event.object_id) == ("auth.user", str(alice.pk))
    assert event.details == {"fields": ["timezone"]}


@pytest.fixture
def superuser_client(db) -> Client:
    root = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    client = Client()
    client.force_login(root)
    return client


def test_admin_changes_to_people_are_recorded(superuser_client, alice, bob):
    superuser_client.post(
        "/admin/auth/user/add/",
        {
            "username": "carol",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "usable_password": "true",
        },
    )
    carol = get_user_model().objects.get(username="carol")
    assert only("user.created").object_id == str(carol.pk)

    superuser_client.post(
        f"/admin/auth/user/{alice.pk}/password/",
        {"password1": "a fresh passphrase 99", "password2": "a fresh passphrase 99"},
    )
    changed = only("user.changed")
    assert changed.object_id == str(alice.pk) and changed.username == "root"
    assert "passphrase" not in str(changed.details)

    superuser_client.post(
        "/admin/auth/user/",
        {"action": "delete_selected", "_selected_action": [bob.pk, carol.pk], "post": "yes"},
    )
    deleted = AuditEvent.objects.filter(action="user.deleted")
    assert {e.object_id for e in deleted} == {str(bob.pk), str(carol.pk)}


def test_resetting_someones_two_factor_in_the_admin_is_recorded(superuser_client, alice):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=alice, name="Authenticator app")
    superuser_client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    event = only("admin.deleted")
    assert (event.object_type, event.object_id) == ("otp_totp.totpdevice", str(device.pk))
