"""`seed_sandbox` (the first `make run`): a week of history with the team's regular offices,
and those offices already in the contacts book."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from contacts.models import Contact
from drenfax_portal.accounts.management.commands.seed_sandbox import DEMO_CONTACTS

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_first_run_fills_the_contacts_book_with_the_offices_the_history_deals_with(
    sandbox, settings, tmp_path
):
    settings.DRENFAX_SANDBOX = True
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_sandbox", "--faxes", "60", stdout=io.StringIO())

    book = dict(Contact.objects.values_list("fax_number", "organisation"))
    assert book == {number: organisation for _, organisation, number, _ in DEMO_CONTACTS}
    rows = sandbox.request("GET", "/v1/fax/history", params={"limit": 100}).json()["rows"]
    with_a_contact = [
        row for row in rows if {row["faxNumber"], "+1" + row["faxCallerId"]} & set(book)
    ]
    assert len(rows) == 60
    assert len(with_a_contact) > len(rows) / 2

    call_command("seed_sandbox", stdout=io.StringIO())  # once done, does nothing
    assert Contact.objects.count() == len(DEMO_CONTACTS)
