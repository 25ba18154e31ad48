"""A number's page: details for its members; people, storage, manager and release for staff."""

from __future__ import annotations

import pytest

from tests.factories import make_fax

pytestmark = pytest.mark.django_db


def test_staff_see_the_details_and_every_section(staff_client, alice_number):
    make_fax(direction="inbound", faxNumber="+12065550100")
    body = staff_client.get(f"/numbers/{alice_number.uuid}/").content.decode()
    for text in [
        "(206) 555-0100",
        "+12065550100",
        "Available",
        str(alice_number.uuid),
        "People who work with this number",
        "Fax storage (FTP/SFTP)",
        "Manager account",
        "Castle Black Clinic",
        "Release this number",
        f"/faxes/?number={alice_number.uuid}",
        "1 fax",
    ]:
        assert text in body, text


def test_members_see_their_number_read_only(alice_client, alice_number):
    make_fax(direction="inbound", faxNumber="+12065550100")
    body = alice_client.get(f"/numbers/{alice_number.uuid}/").content.decode()
    assert "(206) 555-0100" in body and "1 fax" in body
    assert f"/faxes/?number={alice_number.uuid}" in body
    for hidden in ["<form", "Fax storage", "Manager account", "Release", "Drenfax number id"]:
        assert hidden not in body.split('<main id="main"')[1], hidden


def test_members_get_a_404_for_others_numbers(alice_client, bob_number):
    assert alice_client.get(f"/numbers/{bob_number.uuid}/").status_code == 404
