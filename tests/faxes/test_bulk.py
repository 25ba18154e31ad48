"""Fast inserts write exactly what the ORM would."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection

from faxes.bulk import insert_instance, insert_rows, prepare_insert
from faxes.history import search_q
from faxes.models import Fax, FaxEvent, WebhookDelivery
from faxes.payload import fax_fields
from tests.factories import fax_payload, make_number

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["RETURNING", "no RETURNING"])
def returning(request, monkeypatch):
    """Every test runs as is, and as on SQLite before 3.35 (no columns from an INSERT)."""
    if request.param == "no RETURNING":
        if connection.vendor != "sqlite":
            pytest.skip("only SQLite has versions without RETURNING")
        monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
    return request.param


def stored(model, pk: int) -> dict:
    """A row as the database holds it: on SQLite the text itself (the driver would turn
    '10:00:00' and '10:00:00.000000' into equal datetimes, which compare differently in SQL)."""
    quote = connection.ops.quote_name
    names = [f.column for f in model._meta.concrete_fields]
    columns = ", ".join(
        f"CAST({quote(name)} AS TEXT)" if connection.vendor == "sqlite" else quote(name)
        for name in names
    )
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return dict(zip(names, cursor.fetchone(), strict=True))


def same_except(a: dict, b: dict, *ignored: str) -> None:
    ignored = ("id", *ignored)
    assert {k: v for k, v in a.items() if k not in ignored} == {
        k: v for k, v in b.items() if k not in ignored
    }


def fax_twins(**payload):
    """Two unsaved faxes alike but for their message id, from one provider object."""
    fields = fax_fields(fax_payload(**payload))
    return Fax(**fields), Fax(**{**fields, "message_id": uuid.uuid4()})


@pytest.mark.parametrize(
    "payload",
    [
        # A whole second (no microseconds), as the provider's millisecond times often are.
        {"createdAt": "2026-11-01T10:00:00.000Z", "resolvedDate": "2026-11-01T10:01:00.000Z"},
        {"createdAt": "2026-11-01T10:00:00.123Z", "tags": ["a", "b"], "status": "success"},
        {"direction": "inbound", "subject": "Émile’s ✓ fax", "customFields": {"k": [1, None]}},
    ],
)
def test_an_inserted_fax_is_stored_as_a_saved_one_would_be(alice, payload):
    number = make_number("+12065550100", alice)
    inserted, saved = fax_twins(**payload)
    for fax in (inserted, saved):
        fax.number, fax.sent_by = number, alice
    assert insert_instance(inserted)
    saved.save()
    assert inserted.pk and not inserted._state.adding
    same_except(
        stored(Fax, inserted.pk), stored(Fax, saved.pk), "message_id", "first_seen_at", "updated_at"
    )
    assert Fax.objects.get(pk=inserted.pk).number == number


def test_an_inserted_event_and_delivery_are_stored_as_saved_ones_would_be():
    fax, _ = fax_twins()
    fax.save()
    at = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    for model, values in (
        (FaxEvent, {"fax": fax, "source": "webhook", "status": "success", "at": at}),
        (
            WebhookDelivery,
            {"body": '{"a": 1}', "headers": {"User-Agent": "x"}, "fax": fax, "received_at": at},
        ),
    ):
        inserted, saved = model(**values), model(**values)
        assert insert_instance(inserted)
        saved.save()
        same_except(stored(model, inserted.pk), stored(model, saved.pk), "at")


def test_a_conflicting_insert_writes_nothing_and_says_so():
    first, second = fax_twins()
    second.message_id = first.message_id
    assert insert_instance(first, unless_conflict_on=("message_id",))
    assert not insert_instance(second, unless_conflict_on=("message_id",))
    assert second.pk is None and second._state.adding
    assert Fax.objects.count() == 1


def test_bulk_rows_are_stored_as_saved_ones_would_be():
    inserted, saved = fax_twins(createdAt="2026-11-01T10:00:00.000Z")
    saved.save()
    row = {
        f.attname: getattr(inserted, f.attname)
        for f in Fax._meta.concrete_fields
        if f.attname not in ("id", "first_seen_at", "updated_at")
    }
    insert_rows(Fax, [row])
    pk = Fax.objects.get(message_id=inserted.message_id).pk
    same_except(stored(Fax, pk), stored(Fax, saved.pk), "message_id", "first_seen_at", "updated_at")


def test_a_computed_value_is_stored_and_given_back(alice):
    number = make_number("+12065550100", alice)
    fax, _ = fax_twins()
    lookup = ("(SELECT id FROM numbers_faxnumber WHERE number = %s)", ["+12065550100"])
    assert insert_instance(fax, computed={"number_id": lookup})
    assert fax.number_id == number.pk
    assert Fax.objects.get(pk=fax.pk).number_id == number.pk


def test_a_prepared_insert_stores_the_values_given_after_preparing_that_it_refreshes():
    fax, _ = fax_twins()
    fax.save()
    delivery = WebhookDelivery(body='{"a": 1}', headers={})
    prepared = prepare_insert(delivery)
    delivery.fax = fax
    delivery.outcome = WebhookDelivery.Outcome.APPLIED
    delivery.processed_at = datetime(2026, 11, 1, 10, 0, 1, tzinfo=UTC)
    assert prepared.execute(refresh=("fax_id", "outcome", "processed_at"))
    stored_delivery = WebhookDelivery.objects.get(pk=delivery.pk)
    assert stored_delivery.fax_id == fax.pk
    assert stored_delivery.outcome == WebhookDelivery.Outcome.APPLIED
    assert stored_delivery.processed_at == delivery.processed_at


@pytest.fixture
def few_parameters_per_statement():
    """On SQLite, a statement takes so few parameters that 7 fax rows need 4 statements."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    width = len([f for f in Fax._meta.concrete_fields if not f.primary_key])
    before = raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, width * 2)
    yield
    raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)


def bulk_row(**payload) -> dict:
    fax = Fax(**fax_fields(fax_payload(**payload)))
    return {
        f.attname: getattr(fax, f.attname)
        for f in Fax._meta.concrete_fields
        if f.attname not in ("id", "first_seen_at", "updated_at")
    }


def test_bulk_rows_over_several_statements_are_all_stored_and_found_by_search(
    few_parameters_per_statement,
):
    rows = [bulk_row(subject=f"Referral {n}") for n in range(7)]
    assert insert_rows(Fax, rows) == 7
    assert Fax.objects.count() == 7
    found = Fax.objects.filter(search_q("referral 3"))
    assert [fax.subject for fax in found] == ["Referral 3"]


def test_a_bulk_batch_with_a_known_fax_writes_none_of_its_rows(few_parameters_per_statement):
    rows = [bulk_row() for _ in range(7)]
    insert_rows(Fax, rows[3:4])
    with pytest.raises(IntegrityError):
        insert_rows(Fax, rows)
    assert Fax.objects.count() == 1
