"""Every form of the portal, fed whatever hypothesis can think of: never a 5xx, and a refused
POST changes no row.

Each filter page (GET) and each form (POST) is driven through Django's test client, signed in
as a member and as staff, with generated strings, numbers, dates at the ends of the calendar,
NUL bytes, very long values and wrong types (several values, a file where text belongs, text
where a file belongs) for each of its fields. A view that raises fails the test with the input
that made it raise (the test client re-raises), so a 500 cannot hide in a response code.

Examples per case: FORM_FUZZ_EXAMPLES (default 12; the whole file stays within a minute or two).
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.contrib.messages import constants, get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import BaseForm
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from contacts.forms import ContactForm
from drenfax_portal.accounts.forms import ProfileForm
from drenfax_portal.audit.forms import AuditFilterForm
from fax_numbers.forms import (
    ManagerForm,
    NumberFilterForm,
    PersonForm,
    ProvisionForm,
    ReleaseForm,
    SearchForm,
    StorageForm,
    ValidateForm,
)
from fax_numbers.models import FaxNumber
from faxes.forms import HistoryFilterForm, SendForm
from tests.factories import make_fax

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=int(os.environ.get("FORM_FUZZ_EXAMPLES", 12)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

FAX_ID = "8d5b8a8e-2c1f-4a7e-9a61-3f1c0de0f001"
NUMBER_ID = "8d5b8a8e-2c1f-4a7e-9a61-3f1c0de0f002"

# Rows a refused POST may still write: the session, the audit trail (refusals are audited),
# the lockout bookkeeping and a 2FA device's count of wrong codes (its throttling).
MAY_CHANGE = {
    "sessions.session",
    "audit.auditevent",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "otp_totp.totpdevice",
    "otp_static.staticdevice",
}


def names(form: type[BaseForm], *extra: str) -> list[str]:
    return [*form.base_fields, *extra]


# Fields typed as dates or times though the form reads them as text.
DATE_NAMES = {"scheduled_at", "before", "after"}


FORM_FIELDS: dict[str, forms.Field] = {
    name: field
    for form in (
        HistoryFilterForm,
        NumberFilterForm,
        SearchForm,
        ValidateForm,
        AuditFilterForm,
        SendForm,
        ProvisionForm,
        PersonForm,
        StorageForm,
        ManagerForm,
        ReleaseForm,
        ProfileForm,
    )
    for name, field in form.base_fields.items()
}
HISTORY = names(HistoryFilterForm, "before", "after", "page")
# (path, fields): {fax} and {number} are a fax and a number the member can see.
GET_FORMS = [
    ("/faxes/", HISTORY),
    ("/faxes/count/", HISTORY),
    ("/faxes/export.csv", HISTORY),
    ("/faxes/sync-status/", ["after_refresh"]),
    ("/faxes/send/", ["from", "blast", "to", "name"]),
    ("/faxes/{fax}/", ["page"]),
    ("/faxes/{fax}/pdf", ["download"]),
    ("/numbers/", names(NumberFilterForm, "page")),
    ("/numbers/search/", names(SearchForm)),
    ("/numbers/validate/", names(ValidateForm)),
    ("/numbers/{number}/", []),
    ("/numbers/team/", ["page"]),
    ("/audit/", names(AuditFilterForm, "page")),
    ("/audit/export.csv", names(AuditFilterForm)),
    ("/audit/lockouts/", ["page"]),
    ("/", ["page"]),
    ("/contacts/", ["q", "page"]),
    ("/contacts/suggest", ["contact"]),
    ("/contacts/new/", ["fax_number", "name", "next"]),
]
SEND = names(SendForm, "cf_key", "cf_value", "submission_key", "action", "files")
POST_FORMS = [
    ("/faxes/send/", SEND),
    ("/faxes/send/upload/", ["attachments", "files"]),
    ("/faxes/send/recipients/", ["recipients"]),
    ("/faxes/blast/", ["workbook", "cover_page"]),
    ("/faxes/{fax}/archive/", ["archived"]),
    ("/faxes/{fax}/cancel/", ["next"]),
    ("/faxes/{fax}/delete/", ["next"]),
    ("/faxes/{fax}/resend/", ["recipient", "submission_key"]),
    ("/faxes/{fax}/team/", ["action", "assignee", "where", "next"]),
    ("/faxes/{fax}/notes/", ["text"]),
    ("/faxes/{fax}/forward/", []),
    ("/contacts/new/", names(ContactForm, "next")),
    ("/contacts/import/", ["file", "action", "token"]),
    ("/numbers/refresh/", []),
    ("/numbers/provision/", names(ProvisionForm, "key")),
    ("/numbers/{number}/assign/", names(PersonForm)),
    ("/numbers/{number}/unassign/", names(PersonForm)),
    ("/numbers/{number}/storage/", names(StorageForm)),
    ("/numbers/{number}/manager/", names(ManagerForm)),
    ("/numbers/{number}/release/", names(ReleaseForm)),
    ("/numbers/team/{member}/", names(ProfileForm)),
    ("/accounts/notifications/", ["inbound", "failures", "delivery"]),
    ("/accounts/notifications/defaults/", ["defaults-inbound", "defaults-failures"]),
    ("/accounts/notifications/reset/", []),
    ("/accounts/password/", ["old_password", "new_password1", "new_password2"]),
    ("/accounts/login/", ["username", "password", "next"]),
    ("/accounts/two-factor/setup/", ["token"]),
    ("/accounts/two-factor/verify/", ["token"]),
    ("/accounts/two-factor/disable/", ["token"]),
    ("/accounts/two-factor/recovery-codes/", ["token"]),
    ("/inbox/read-all/", ["next"]),
    ("/audit/lockouts/1/unlock/", []),
    ("/health/webhooks/1/replay/", []),
]

EDGES = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "0",
    "-1",
    "1e309",
    "NaN",
    "9" * 30,
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "1969-12-31",
    "2999-12-31",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "2024-02-30",
    "+12065550100",
    "+1206555010",
    FAX_ID,
    NUMBER_ID,
    str(uuid.UUID(int=0)),
    "send",
    "preview",
    "update",
    "on",
    "true",
    "<script>alert(1)</script>",
    "'; DROP TABLE faxes_fax; --",
    "\u202e\ufeff\U0001f4e0",
]
text_values = (
    st.sampled_from(EDGES)
    | st.text(max_size=40)
    | st.text(min_size=1, max_size=8).map(lambda s: s * 1000)  # very long
    | st.integers(min_value=-(2**70), max_value=2**70).map(str)
)
date_values = (
    st.sampled_from(["0001-01-01", "9999-12-31", "1969-12-31", "3000-01-01", "2024-02-30"])
    | st.sampled_from(["9999-12-31T23:59", "0001-01-01T00:00", "9999-12-31 23:59:59"])
    | st.dates().map(str)
    | st.datetimes().map(lambda d: d.isoformat(timespec="minutes"))
    | text_values
)
number_values = st.integers(min_value=-(2**70), max_value=2**70).map(str) | text_values
id_values = st.sampled_from([FAX_ID, NUMBER_ID, "0", "-1", "99999999999999999999"]) | text_values
files = st.binary(max_size=200).map(lambda b: SimpleUploadedFile("x.pdf", b, "application/pdf"))


def typed_values(name: str) -> st.SearchStrategy[str]:
    """Values aimed at what the field reads (dates at the ends of the calendar for a date)."""
    field = FORM_FIELDS.get(name)
    if name in DATE_NAMES or isinstance(field, forms.DateField | forms.DateTimeField):
        return date_values
    if isinstance(field, forms.IntegerField):
        return number_values
    if isinstance(field, forms.UUIDField | forms.ModelChoiceField):
        return id_values
    if isinstance(field, forms.ChoiceField) and isinstance(field.choices, list):
        return st.sampled_from([str(value) for value, _ in field.choices] or [""]) | text_values
    return text_values


def fuzz(fields: list[str], *, with_files: bool):
    """@given the generated data, after explicit examples: each date at both ends."""

    def decorate(check):
        check = FUZZ(given(data=query(fields, with_files=with_files))(check))
        for name in fields:
            if typed_values(name) is date_values:
                for edge in ("9999-12-31", "0001-01-01", "9999-12-31T23:59", "0001-01-01T00:00"):
                    check = example(data={name: edge})(check)
        return check

    return decorate


def query(fields: list[str], *, with_files: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Any subset of the fields, each with a value of its type or of a wrong one."""

    def value(name: str) -> st.SearchStrategy[Any]:
        wrong = st.lists(typed_values(name), min_size=2, max_size=3)  # several values
        if with_files:
            wrong |= files  # a file where text belongs (or the file a file field wants)
        return typed_values(name) | wrong

    return st.fixed_dictionaries({}, optional={name: value(name) for name in fields})


@pytest.fixture(params=["member", "staff"])
def signed_in(request, alice, staff, sandbox) -> tuple[Client, dict[str, str]]:
    number = FaxNumber.objects.create(uuid=NUMBER_ID, number="+12065550100")
    number.assigned_users.add(alice)
    make_fax(messageId=FAX_ID, faxNumber="+12065550100", direction="inbound", status="success")
    client = Client()
    client.force_login(alice if request.param == "member" else staff)
    return client, {"fax": FAX_ID, "number": NUMBER_ID, "member": str(alice.pk)}


def snapshot() -> dict[str, list[tuple]]:
    return {
        model._meta.label_lower: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models()
        if model._meta.label_lower not in MAY_CHANGE and model._meta.managed
    }


def refused(response) -> bool:
    """The portal said no: an error status, a form with errors, or an error message."""
    if response.status_code >= 400:
        return True
    for context in response.context or []:
        for layer in context.dicts:
            for name, value in layer.items():
                if isinstance(value, BaseForm) and value.is_bound and value.errors:
                    return True
                if name == "error" and value:
                    return True
    levels = {m.level for m in get_messages(response.wsgi_request)}
    return bool(levels & {constants.ERROR, constants.WARNING})


def assert_served(response) -> None:
    assert response.status_code < 500, response.content[:500]


@pytest.mark.parametrize(("path", "fields"), GET_FORMS, ids=[p for p, _ in GET_FORMS])
def test_no_filter_value_gives_a_server_error(signed_in, path, fields):
    client, ids = signed_in

    @fuzz(fields, with_files=False)
    def check(data):
        response = client.get(path.format(**ids), data)
        assert_served(response)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)  # an export fails while it streams

    check()


@pytest.mark.parametrize(("path", "fields"), POST_FORMS, ids=[p for p, _ in POST_FORMS])
def test_no_posted_value_gives_a_server_error_and_a_refusal_changes_nothing(
    signed_in, path, fields
):
    client, ids = signed_in

    @fuzz(fields, with_files=True)
    def check(data):
        for value in data.values():
            for file in value if isinstance(value, list) else [value]:
                if hasattr(file, "seek"):
                    file.seek(0)
        client.get("/")  # shows (and so clears) the messages an earlier example left
        before = snapshot()
        response = client.post(path.format(**ids), data)
        assert_served(response)
        if refused(response):
            assert snapshot() == before, f"refused {path} with {data!r} but changed rows"

    check()
