"""Storage settings: validated field by field; the password is write-only."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs

import pytest

from fax_numbers.models import StorageCredential
from tests.conftest import API_URL
from tests.numbers.payloads import number_payload

pytestmark = pytest.mark.django_db

PASSWORD = "Tr0ub4dor&3-very-secret"
VALID = {
    "protocol": "sftp",
    "host": "files.example.com",
    "port": "2222",
    "user": "faxbot",
    "password": PASSWORD,
    "output_dir": "uploads/faxes/",
}


def patch_url(number) -> str:
    return f"{API_URL}/v1/numbers/{number.uuid}"


def answer(number, storage: dict) -> dict:
    """The PATCH answer: the reference echoes the storage JSON, password included."""
    return number_payload(uid=str(number.uuid), storage=json.dumps(storage))


def sent_storage(call) -> dict:
    return json.loads(parse_qs(call.request.body)["storage"][0])


def save(client, number, htmx=False, **changes):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/numbers/{number.uuid}/storage/", {**VALID, **changes}, headers=headers)


def test_saving_sends_the_settings_and_keeps_the_password_apart(staff_client, api, alice_number):
    stored = {
        "protocol": "sftp",
        "host": "files.example.com",
        "outputDirPath": "uploads/faxes/",
        "password": PASSWORD,
        "user": "faxbot",
        "port": 2222,
    }
    api.patch(patch_url(alice_number), json=answer(alice_number, stored))
    response = save(staff_client, alice_number)
    assert response.status_code == 302
    assert sent_storage(api.calls[0]) == stored
    alice_number.refresh_from_db()
    assert StorageCredential.objects.get(number=alice_number).password == PASSWORD
    assert alice_number.storage == {k: v for k, v in stored.items() if k != "password"}
    assert PASSWORD not in json.dumps(alice_number.raw)
    body = staff_client.get(f"/numbers/{alice_number.uuid}/").content.decode()
    assert "Storage settings saved" in body
    assert 'value="files.example.com"' in body and 'value="faxbot"' in body
    assert "A password is saved. Leave this blank to keep it" in body


def test_the_password_is_in_no_response_and_no_log_record(staff_client, api, alice_number, caplog):
    caplog.set_level(logging.DEBUG)
    stored = {**VALID, "port": 2222, "password": PASSWORD}
    api.patch(patch_url(alice_number), json=answer(alice_number, stored))
    bodies = [
        save(staff_client, alice_number, htmx=True).content,  # saved (htmx section)
        save(staff_client, alice_number).content,  # saved (redirect)
        save(staff_client, alice_number, host="ftp://bad/").content,  # refused, re-rendered
        save(staff_client, alice_number, htmx=True, port="99999").content,
        staff_client.get(f"/numbers/{alice_number.uuid}/").content,  # the page again
        staff_client.get(f"/numbers/{alice_number.uuid}/", follow=True).content,
    ]
    # Drenfax refuses, repeating the password in its error (it must not reach page or log).
    api.replace(
        "PATCH",
        patch_url(alice_number),
        status=400,
        json={"error": f"cannot log in to files.example.com as faxbot with {PASSWORD}"},
    )
    bodies.append(save(staff_client, alice_number, htmx=True).content)
    bodies.append(save(staff_client, alice_number).content)
    assert len(api.calls) == 4
    for body in bodies:
        assert PASSWORD.encode() not in body
        assert b'type="password" name="password" autocomplete="new-password"' in body or not body
    assert "cannot log in to files.example.com as faxbot with ********" in bodies[-1].decode()
    assert caplog.records, "the test must see the log"
    for record in caplog.records:
        assert PASSWORD not in record.getMessage()
        assert PASSWORD not in str(record.args)
    assert PASSWORD not in caplog.text


def test_a_blank_password_keeps_the_stored_one(staff_client, api, alice_number):
    StorageCredential.objects.create(number=alice_number, password=PASSWORD)
    api.patch(patch_url(alice_number), json=number_payload(uid=str(alice_number.uuid)))
    save(staff_client, alice_number, password="", host="other.example.com")
    storage = sent_storage(api.calls[0])
    assert storage["password"] == PASSWORD and storage["host"] == "other.example.com"
    assert StorageCredential.objects.get(number=alice_number).password == PASSWORD
    # The answer left the settings out: what was sent (without the password) is cached.
    alice_number.refresh_from_db()
    assert alice_number.storage["host"] == "other.example.com"
    assert "password" not in alice_number.storage


def test_a_new_password_replaces_the_stored_one(staff_client, api, alice_number):
    StorageCredential.objects.create(number=alice_number, password="old-password")
    api.patch(patch_url(alice_number), json=number_payload(uid=str(alice_number.uuid)))
    save(staff_client, alice_number)
    assert StorageCredential.objects.get(number=alice_number).password == PASSWORD


def test_a_password_is_required_when_none_is_stored(staff_client, api, alice_number):
    body = save(staff_client, alice_number, password="").content.decode()
    assert "Enter the password: none is saved for this number yet." in body
    assert len(api.calls) == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("protocol", "http", "Select a valid choice"),
        ("host", "", "This field is required"),
        ("host", "ftp://files.example.com", "no ftp://"),
        ("host", "files example.com", "Enter a server name like ftp.example.com"),
        ("host", "-bad-.example.com", "Enter a server name like ftp.example.com"),
        ("port", "0", "greater than or equal to 1"),
        ("port", "65536", "less than or equal to 65535"),
        ("port", "21a", "Enter a whole number"),
        ("user", "", "This field is required"),
        ("output_dir", "faxes/\x07", "control character"),
    ],
)
def test_each_field_is_checked_before_anything_is_sent(
    staff_client, api, alice_number, field, value, message
):
    body = save(staff_client, alice_number, htmx=True, **{field: value}).content.decode()
    assert message in body
    assert body.lstrip().startswith('<section id="storage"')
    assert len(api.calls) == 0
    assert not StorageCredential.objects.exists()


def test_ip_addresses_and_the_default_port_are_accepted(staff_client, api, alice_number):
    api.patch(patch_url(alice_number), json=number_payload(uid=str(alice_number.uuid)))
    save(staff_client, alice_number, host="192.0.2.10", port="", protocol="ftp", output_dir="")
    storage = sent_storage(api.calls[0])
    assert storage == {
        "protocol": "ftp",
        "host": "192.0.2.10",
        "port": 21,
        "user": "faxbot",
        "password": PASSWORD,
    }


def test_an_api_refusal_keeps_what_was_typed_and_saves_nothing(staff_client, api, alice_number):
    api.patch(patch_url(alice_number), status=400, json={"error": "storage.host is unreachable"})
    body = save(staff_client, alice_number, htmx=True).content.decode()
    assert "The storage settings were not saved. storage.host is unreachable" in body
    assert 'value="files.example.com"' in body
    assert not StorageCredential.objects.exists()
    alice_number.refresh_from_db()
    assert alice_number.storage == {}
