import csv
import io

import pytest

from contacts.models import Contact
from drenfax_portal.audit.models import AuditEvent

HTMX = {"HX-Request": "true"}  # what htmx sends: fragments answer it alone


@pytest.fixture
def patel(db):
    return Contact.objects.create(
        name="Dr. Asha Patel",
        organisation="Northside Cardiology",
        fax_number="+12065550142",
        tags="cardiology, referrals",
    )


def test_staff_add_a_contact_whose_number_is_stored_in_e164_and_audited(staff_client):
    response = staff_client.post(
        "/contacts/new/",
        {
            "name": "Dr. Kim",
            "organisation": "Eastside Lab",
            "fax_number": "(312) 555-0199",
            "notes": "Labs only",
            "tags": "Labs, labs,  results",
        },
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.fax_number == "+13125550199"
    assert contact.tags == "labs, results"
    assert AuditEvent.objects.filter(action="contact.created", object_id=str(contact.pk)).exists()


def test_a_wrong_number_is_refused_with_the_reason_and_keeps_what_was_typed(staff_client):
    response = staff_client.post(
        "/contacts/new/", {"name": "Dr. Kim", "organisation": "Eastside", "fax_number": "555-01"}
    )
    assert response.status_code == 200
    assert b"Not a fax number we can dial" in response.content
    assert b'value="Dr. Kim"' in response.content
    assert b'value="Eastside"' in response.content
    assert not Contact.objects.exists()


def test_a_number_already_in_the_book_names_its_contact(staff_client, patel):
    response = staff_client.post("/contacts/new/", {"name": "Other", "fax_number": "206-555-0142"})
    assert "is already Dr. Asha Patel (Northside Cardiology)&#x27;s number" in response.text
    assert Contact.objects.count() == 1


def test_staff_edit_and_delete_a_contact(staff_client, patel):
    response = staff_client.post(
        f"/contacts/{patel.pk}/",
        {"name": "Dr. A. Patel", "organisation": "Northside", "fax_number": "+12065550142"},
    )
    assert response.status_code == 302
    patel.refresh_from_db()
    assert patel.name == "Dr. A. Patel"
    changed = AuditEvent.objects.get(action="contact.changed")
    assert changed.details["fields"] == ["name", "organisation", "tags"]
    staff_client.post(f"/contacts/{patel.pk}/delete/")
    assert not Contact.objects.exists()
    assert AuditEvent.objects.filter(action="contact.deleted").exists()


def test_a_refused_edit_keeps_what_was_typed_under_the_stored_name(staff_client, patel):
    response = staff_client.post(
        f"/contacts/{patel.pk}/", {"name": "Dr. Typed Name", "fax_number": "555"}
    )
    assert response.status_code == 200
    assert "<h1>Edit Dr. Asha Patel</h1>" in response.text
    assert 'value="Dr. Typed Name"' in response.text and 'value="555"' in response.text
    patel.refresh_from_db()
    assert patel.name == "Dr. Asha Patel"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/contacts/new/"),
        ("post", "/contacts/new/"),
        ("get", "/contacts/{pk}/"),
        ("post", "/contacts/{pk}/"),
        ("post", "/contacts/{pk}/delete/"),
        ("get", "/contacts/export.csv"),
        ("get", "/contacts/import/"),
    ],
)
def test_a_member_cannot_change_the_book(alice_client, patel, method, path):
    response = getattr(alice_client, method)(path.format(pk=patel.pk), {"name": "x"})
    assert response.status_code == 404
    patel.refresh_from_db()
    assert patel.name == "Dr. Asha Patel"


def test_members_see_and_search_the_book(alice_client, patel):
    Contact.objects.create(name="Eastside Lab", fax_number="+13125550199", tags="labs")
    page = alice_client.get("/contacts/")
    assert "Dr. Asha Patel" in page.text and "Eastside Lab" in page.text
    assert "Edit</a>" not in page.text
    for query in ("cardio", "north patel", "0142", "referrals"):
        found = alice_client.get("/contacts/", {"q": query}).text
        assert "Dr. Asha Patel" in found and "Eastside Lab" not in found, query


def test_the_send_form_suggests_contacts_by_part_of_a_name(alice_client, patel):
    response = alice_client.get("/contacts/suggest", {"contact": "pat"}, headers=HTMX)
    assert 'data-contact-number="+12065550142"' in response.text
    assert 'data-contact-name="Dr. Asha Patel"' in response.text
    nothing = alice_client.get("/contacts/suggest", {"contact": "zzz"}, headers=HTMX)
    assert "No contact matches" in nothing.text


def test_the_export_lists_every_contact_with_formulas_defused(staff_client, patel):
    Contact.objects.create(name="=HYPERLINK(1)", fax_number="+13125550199")
    response = staff_client.get("/contacts/export.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Name", "Organisation", "Fax number", "Notes", "Tags"]
    assert ["'=HYPERLINK(1)", "", "(312) 555-0199", "", ""] in rows
    assert [
        "Dr. Asha Patel",
        "Northside Cardiology",
        "(206) 555-0142",
        "",
        "cardiology, referrals",
    ] in rows
    assert AuditEvent.objects.filter(action="contact.exported").exists()


def csv_upload(text: str, name: str = "contacts.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_an_import_previews_every_row_then_adds_the_valid_ones(staff_client, patel):
    text = (
        "Name,Organisation,Fax number,Tags\n"
        "Dr. Kim,Eastside Lab,(312) 555-0199,Labs\n"
        "Dr. Asha Patel,Northside Heart,206 555 0142,\n"
        ",Nobody,(312) 555-0100,\n"
        "Dr. Wrong,,555,\n"
        "Dr. Again,,312-555-0199,\n"
    )
    preview = staff_client.post("/contacts/import/", {"file": csv_upload(text)})
    assert preview.status_code == 200
    assert "2 of 5 rows can be imported" in preview.text
    assert "Updates Dr. Asha Patel" in preview.text
    assert "no name" in preview.text
    assert "the same fax number as row 2" in preview.text
    assert Contact.objects.count() == 1  # nothing saved by the preview

    token = preview.context["token"]
    done = staff_client.post("/contacts/import/", {"action": "import", "token": token})
    assert done.status_code == 302
    assert Contact.objects.count() == 2
    assert Contact.objects.get(fax_number="+13125550199").tags == "labs"
    assert Contact.objects.get(fax_number="+12065550142").organisation == "Northside Heart"
    event = AuditEvent.objects.get(action="contact.imported")
    assert event.details == {"file": "contacts.csv", "added": 1, "updated": 1}

    again = staff_client.post(
        "/contacts/import/", {"action": "import", "token": token}, follow=True
    )
    assert "imported already" in again.text
    assert AuditEvent.objects.filter(action="contact.imported").count() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("list.csv", "Who,Where\nA,B\n", "No header row was found"),
        ("list.csv", "Name,Fax\n", "no contacts below it"),
        ("list.xlsx", "not a workbook", "not an Excel workbook"),
    ],
)
def test_a_file_that_cannot_be_used_is_refused_with_the_reason(
    staff_client, name, content, message
):
    response = staff_client.post("/contacts/import/", {"file": csv_upload(content, name)})
    assert message in response.text
    assert "No contact was changed" in response.text
    assert not Contact.objects.exists()


def test_a_list_over_the_size_limit_is_refused_while_it_is_read(staff_client, settings):
    settings.BLAST_MAX_FILE_MB = 0.01
    response = staff_client.post(
        "/contacts/import/", {"file": csv_upload("Name,Fax\n" + "x" * 20_000)}
    )
    assert "was not read: it is larger than" in response.text
    assert not Contact.objects.exists()


def test_a_csv_cell_too_long_to_read_is_refused_with_the_reason(staff_client):
    text = "Name,Fax number\n" + "A" * 200_000 + ",2065550142\n"
    response = staff_client.post("/contacts/import/", {"file": csv_upload(text)})
    assert response.status_code == 200
    assert "Line 2 could not be read as CSV" in response.text
    assert "No contact was changed" in response.text


def import_list(client, text: str):
    preview = client.post("/contacts/import/", {"file": csv_upload(text)})
    done = client.post("/contacts/import/", {"action": "import", "token": preview.context["token"]})
    assert done.status_code == 302


def test_the_export_imports_back_as_the_same_contacts(staff_client, patel):
    Contact.objects.create(name="+Plus Medical", fax_number="+12065550100", notes="- urgent only")
    Contact.objects.create(
        name="Dr Brown", organisation="St Mary's", fax_number="+442079460000", tags="uk"
    )
    Contact.objects.create(name="Dr Chen", fax_number="+13125550111", notes="=call first")
    fields = ("name", "organisation", "fax_number", "notes", "tags")
    before = list(Contact.objects.values_list(*fields))
    exported = staff_client.get("/contacts/export.csv").content.decode()
    Contact.objects.all().delete()

    import_list(staff_client, exported)
    assert list(Contact.objects.values_list(*fields)) == before


def test_an_import_without_a_column_keeps_what_contacts_have_there(staff_client, patel):
    Contact.objects.filter(pk=patel.pk).update(notes="Call first")
    import_list(staff_client, "Name,Fax number\nDr. A. Patel,206-555-0142\nDr. New,312-555-0100\n")
    patel.refresh_from_db()
    assert (patel.name, patel.organisation, patel.notes, patel.tags) == (
        "Dr. A. Patel",
        "Northside Cardiology",
        "Call first",
        "cardiology, referrals",
    )
    new = Contact.objects.get(fax_number="+13125550100")
    assert (new.organisation, new.notes, new.tags) == ("", "", "")


def test_an_import_updates_a_number_another_import_added_meanwhile(staff, patel, monkeypatch):
    from django.db.models import QuerySet

    from contacts.services import ImportedContact, contacts_import

    # As if the lock ran before the other import's commit: patel's number is not seen.
    monkeypatch.setattr(QuerySet, "in_bulk", lambda self, *args, **kwargs: {})
    row = ImportedContact("Dr. A. Patel", None, "+12065550142", None, None)
    contacts_import(rows=[row], user=staff, filename="late.csv")
    patel.refresh_from_db()
    assert (patel.name, patel.organisation) == ("Dr. A. Patel", "Northside Cardiology")
    assert Contact.objects.count() == 1


def test_a_number_typed_with_its_punctuation_is_accepted(staff_client):
    typed = "+1 (206) 555-0199"  # longer than the E.164 kept
    response = staff_client.post("/contacts/new/", {"name": "Dr. Kim", "fax_number": typed})
    assert response.status_code == 302
    assert Contact.objects.get().fax_number == "+12065550199"


def test_an_international_contact_saves_unchanged(staff_client):
    contact = Contact.objects.create(name="Beijing Lab", fax_number="+8613800138000")
    form = staff_client.get(f"/contacts/{contact.pk}/").context["form"]
    data = {name: form[name].value() or "" for name in ("name", "organisation", "fax_number")}
    assert staff_client.post(f"/contacts/{contact.pk}/", data).status_code == 302
    contact.refresh_from_db()
    assert contact.fax_number == "+8613800138000"


def test_a_number_saved_meanwhile_is_refused_with_a_message_and_keeps_what_was_typed(
    staff_client, patel, monkeypatch
):
    from contacts import forms
    from fax_numbers.phone import parse_number

    # The form checked the number before a colleague (or a double click) saved it.
    monkeypatch.setattr(forms, "clean_fax_number", lambda value, instance=None: parse_number(value))
    monkeypatch.setattr(forms.ContactForm, "validate_unique", lambda self: None)
    response = staff_client.post(
        "/contacts/new/", {"name": "Dr. Kim", "fax_number": "206-555-0142"}
    )
    assert response.status_code == 200
    assert "This fax number was just added to the contacts" in response.text
    assert 'value="Dr. Kim"' in response.text
    assert Contact.objects.count() == 1
    other = Contact.objects.create(name="Dr. Lee", fax_number="+13125550100")
    response = staff_client.post(
        f"/contacts/{other.pk}/", {"name": "Dr. Lee", "fax_number": "206-555-0142"}
    )
    assert "This fax number was just added to the contacts" in response.text
    other.refresh_from_db()
    assert other.fax_number == "+13125550100"


def test_a_contacts_send_link_fills_in_its_number_and_name(alice_client, alice, patel, api):
    from tests.conftest import API_URL
    from tests.factories import make_number
    from tests.send.helpers import COVER_PAGES

    api.get(f"{API_URL}/coverpages", json=COVER_PAGES)
    make_number("+12065550100", alice)
    link = "/faxes/send/?to=%2B12065550142&amp;name=Dr.%20Asha%20Patel"
    assert link in alice_client.get("/contacts/").text
    form = alice_client.get(link.replace("&amp;", "&")).text
    assert "+12065550142</textarea>" in form
    assert 'value="Dr. Asha Patel"' in form


def test_the_suggestions_typed_into_the_address_bar_lead_to_the_contacts_list(alice_client):
    response = alice_client.get("/contacts/suggest", {"contact": " dr pat "})
    assert response.status_code == 302 and response["Location"] == "/contacts/?q=dr+pat"
    assert alice_client.get("/contacts/suggest")["Location"] == "/contacts/"


def test_a_search_with_a_nul_byte_finds_what_the_rest_of_it_finds(alice_client, patel):
    response = alice_client.get("/contacts/suggest", {"contact": "pat\x00"}, headers=HTMX)
    assert response.status_code == 200
    assert 'data-contact-name="Dr. Asha Patel"' in response.text
