"""The seed/benchmark loader writes exactly what the ORM would."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from django.db import IntegrityError, connection

from faxes.loader import insert_rows
from faxes.models import Fax
from faxes.payload import fax_fields
from faxes.selectors import search_q
from tests.factories import fax_payload

pytestmark = pytest.mark.django_db


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
