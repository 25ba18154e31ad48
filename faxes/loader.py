"""A fast loader of many fax rows, for `seed_demo` and the benchmarks only: the request,
webhook and sync paths write through the ORM.

`insert_rows` writes through the database's own bulk path (multi-row INSERTs on SQLite, COPY
on PostgreSQL); `bulk_insert_faxes` can drop the table's secondary indexes for the load and
build them again after it. Rows are dicts of field values (attnames); missing fields take
their defaults.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Model

from faxes.models import Fax
from faxes.payload import search_text


def _complete(row: dict[str, Any]) -> dict[str, Any]:
    row.setdefault("custom_fields", {})
    row["search_text"] = search_text(row)
    row["tag_list"] = "|" + "|".join(row["tags"]) + "|"
    return row


def bulk_insert_faxes(
    rows: Iterable[dict[str, Any]], *, batch: int = 20_000, rebuild_indexes: bool = False
) -> int:
    """Insert generated fax rows (seed data: search text filled in here); returns how many.

    With `rebuild_indexes` the table's secondary indexes are dropped for the load and built
    again after it, which is several times faster for a million rows.
    """
    if rebuild_indexes:
        with _without_secondary_indexes():
            return bulk_insert_faxes(rows, batch=batch)
    return insert_rows(Fax, (_complete(row) for row in rows), batch=batch)


def insert_rows(model: type[Model], rows: Iterable[dict[str, Any]], *, batch: int = 20_000) -> int:
    """Insert rows of a model in as few statements as the database allows; returns how many.

    Runs in the caller's transaction (each batch atomically); a unique conflict raises
    IntegrityError as a normal insert would.
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = datetime.now(UTC)
    defaults: dict[str, Any] = {}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
        elif f.has_default():
            defaults[f.attname] = f.get_default()
        else:  # text columns are NOT NULL, their empty value is ""; others may be NULL
            defaults[f.attname] = None if f.null or not _is_text(f) else ""
    # Per column: its name, its default, and how its values become the driver's (None for
    # most columns, which the driver takes as they are).
    columns_in = [
        (f.attname, defaults[f.attname], _converter(_kind(f), connection.vendor)) for f in fields
    ]
    columns = [f.column for f in fields]
    total = 0
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        get = row.get
        chunk.append(
            tuple(
                [
                    get(name, default)
                    if convert is None
                    else (None if (value := get(name, default)) is None else convert(value))
                    for name, default, convert in columns_in
                ]
            )
        )
        if len(chunk) >= batch:
            total += _write(model._meta.db_table, columns, chunk)
            chunk = []
    if chunk:
        total += _write(model._meta.db_table, columns, chunk)
    return total


def _is_text(field) -> bool:
    return field.get_internal_type() in ("CharField", "TextField", "EmailField", "SlugField")


@contextmanager
def _without_secondary_indexes() -> Iterator[None]:
    """Drop the fax table's non-unique indexes (and SQLite's search triggers) for a load."""
    table = Fax._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                "AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
                [table],
            )
            saved = cursor.fetchall()
            drops = [f'DROP INDEX "{name}"' for name, _ in saved]
        else:
            cursor.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL "
                "AND type IN ('index', 'trigger') AND sql NOT LIKE 'CREATE UNIQUE%%'",
                [table],
            )
            found = cursor.fetchall()
            saved = [(name, sql) for _, name, sql in found]
            drops = [f'DROP {kind.upper()} "{name}"' for kind, name, _ in found]
        for statement in drops:
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _, definition in saved:
                cursor.execute(definition)
            if connection.vendor == "sqlite" and any("fts" in d for _, d in saved):
                cursor.execute("INSERT INTO faxes_fax_fts(faxes_fax_fts) VALUES ('rebuild')")
            cursor.execute("ANALYZE")


def _kind(field) -> str:
    internal = field.get_internal_type()
    return {"UUIDField": "uuid", "JSONField": "json", "DateTimeField": "datetime"}.get(
        internal, "plain"
    )


def _converter(kind: str, vendor: str) -> Callable[[Any], Any] | None:
    """How a column's (non-None) values become the driver's, as Django would write them."""
    if kind == "json":
        return _json
    if vendor != "sqlite":
        return None
    if kind == "uuid":
        return _uuid_hex
    if kind == "datetime":
        return _sqlite_datetime
    return None


_json_encode = json.JSONEncoder().encode  # json.dumps(value), without its argument checks


def _json(value: Any) -> str:
    # Most faxes have no tags and no custom fields.
    if not value and isinstance(value, list | dict):
        return "[]" if isinstance(value, list) else "{}"
    return _json_encode(value)


def _uuid_hex(value: uuid.UUID) -> str:
    return value.hex


def _sqlite_datetime(value: datetime) -> str:
    # As Django writes it (str of the naive UTC time: no ".000000" on a whole second),
    # or SQL comparisons with Django's parameters go wrong on exact times.
    return str((value if value.tzinfo is UTC else value.astimezone(UTC)).replace(tzinfo=None))


@transaction.atomic
def _write(table: str, columns: list[str], chunk: list[tuple[Any, ...]]) -> int:
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    if connection.vendor != "postgresql":
        _sqlite_insert(table, quoted, len(columns), chunk)
        return len(chunk)
    # COPY goes through psycopg's own cursor: wrap its errors as Django's own
    # (a unique conflict must arrive as IntegrityError, like any insert's).
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy,
    ):
        for values in chunk:
            copy.write_row(values)
    return len(chunk)


def _sqlite_insert(table: str, quoted: str, width: int, chunk: list[tuple[Any, ...]]) -> None:
    """Multi-row INSERTs, as many rows to a statement as SQLite takes parameters.

    Not executemany: the fax table's search index (FTS5, filled by a trigger) writes the
    terms it holds at the end of every statement, so a statement per row wrote a segment per
    row and spent most of a sync page's insert merging them (500 segments against 1).
    """
    db = connections[DEFAULT_DB_ALIAS]
    per_statement = max(1, db.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width)
    row = "(" + ", ".join(["?"] * width) + ")"
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        # The driver's own cursor: Django's would rewrite every placeholder of the statement.
        cursor = db.connection.cursor()
        try:
            for start in range(0, len(chunk), per_statement):
                part = chunk[start : start + per_statement]
                # Table and column names come from the model, not from input.
                sql = f"INSERT INTO {table} ({quoted}) VALUES {', '.join([row] * len(part))}"  # noqa: S608
                cursor.execute(sql, [value for values in part for value in values])
        finally:
            cursor.close()
