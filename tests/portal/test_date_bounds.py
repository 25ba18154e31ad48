"""Dates at the ends of the calendar: refused with the allowed range, never a 500."""

from __future__ import annotations

import pytest

from drenfax_portal.audit.models import AuditEvent
from tests.factories import make_fax, make_number

HTMX = {"HX-Request": "true"}  # what htmx sends: fragments answer it alone

pytestmark = pytest.mark.django_db

RANGE = "Enter a date between 1970-01-01 and 2999-12-31."


@pytest.fixture
def alice_fax(alice):
    make_number("+12065550100", alice)
    return make_fax(faxNumber="+12065550100", direction="inbound")


@pytest.mark.parametrize(
    "query",
    ["date_to=9999-12-31", "date_from=0001-01-01", "date_from=3000-01-01", "date_to=1969-12-31"],
)
def test_the_history_refuses_a_date_it_cannot_serve_and_still_lists_the_faxes(
    alice_client, alice_fax, query
):
    response = alice_client.get(f"/faxes/?{query}")
    assert response.status_code == 200
    page = response.content.decode()
    assert RANGE in page
    assert alice_fax.subject in page  # the refused filter is ignored, the rest still shows


def test_the_history_count_ignores_a_date_it_cannot_serve(alice_client, alice_fax):
    assert alice_client.get("/faxes/count/?date_to=9999-12-31", headers=HTMX).status_code == 200


@pytest.mark.parametrize("query", ["date_to=9999-12-31", "date_from=0001-01-01"])
def test_the_export_refuses_a_date_it_cannot_serve_with_a_message(alice_client, alice_fax, query):
    response = alice_client.get(f"/faxes/export.csv?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert RANGE in response.content.decode()
    assert not AuditEvent.objects.filter(action="fax.exported").exists()


def test_the_export_still_serves_the_last_and_first_allowed_days(alice_client, alice_fax):
    response = alice_client.get("/faxes/export.csv?date_from=1970-01-01&date_to=2999-12-31")
    assert response.status_code == 200
    assert alice_fax.subject in b"".join(response.streaming_content).decode()


def test_the_audit_page_and_its_export_refuse_a_date_they_cannot_serve(staff_client):
    page = staff_client.get("/audit/?date_to=9999-12-31")
    assert page.status_code == 200 and RANGE in page.content.decode()
    export = staff_client.get("/audit/export.csv?date_from=0001-01-01")
    assert export.status_code == 400 and RANGE in export.content.decode()


def test_a_refusal_that_names_no_field_is_still_reported():
    from django import forms

    from drenfax_portal.forms import FilterForm

    class Form(FilterForm):
        date_from = forms.DateField(required=False)
        date_to = forms.DateField(required=False)

        def clean(self):
            raise forms.ValidationError("Pick fewer filters.")

    assert Form({"date_from": "2026-01-01"}).refused_text() == "Pick fewer filters."
