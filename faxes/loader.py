"""A fast loader of many fax rows, for `seed_demo` and the benchmarks only (the request,
webhook and sync paths write through the ORM). Rows are dicts of field values (attnames);
missing fields take their defaults.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from django.db import connection, transaction
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
    """Insert generated fax rows, their search text filled in; returns how many.
    `rebuild_indexes` drops the secondary indexes for the load and builds them after it."""
    if rebuild_indexes:
        with _without_secondary_indexes():
            return bulk_insert_faxes(rows, batch=batch)
    return insert_rows(Fax, (_complete(row) for row in rows), batch=batch)


def insert_rows(model: type[Model], rows: Iterable[dict[str, Any]], *, batch: int = 20_000) -> int:
    """Insert rows of a model in as few statements as the database allows (multi-row INSERTs
    on SQLite, COPY on PostgreSQL); returns how many. Each batch is atomic; a unique
    conflict raises IntegrityError as a normal insert would."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = datetime.now(UTC)
    # Per column: its name, its default, and how its values become the driver's (or None).
    columns_in = [(f.attname, _default(f, now), _converter(f)) for f in fields]
    columns = [f.column for f in fields]

    def values(row: dict[str, Any]) -> tuple[Any, ...]:
        get = row.get
        return tuple(
            [
                get(name, default)
                if convert is None
                else (None if (value := get(name, default)) is None else convert(value))
                for name, default, convert in columns_in
            ]
        )

    pending = map(values, rows)
    total = 0
    while chunk := list(islice(pending, batch)):
        total += _write(model._meta.db_table, columns, chunk)
    return total


def _default(field, now: datetime) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    if field.has_default():
        return field.get_default()
    # Text columns are NOT NULL, their empty value is ""; others may be NULL.
    text = field.get_internal_type() in ("CharField", "TextField", "EmailField", "SlugField")
    return "" if text and not field.null else None


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


def _converter(field) -> Callable[[Any], Any] | None:
    """How a column's (non-None) values become the driver's, as Django would write them."""
    kind = field.get_internal_type()
    if kind == "JSONField":
        return json.dumps
    if connection.vendor == "sqlite":
        return {"UUIDField": _uuid_hex, "DateTimeField": _sqlite_datetime}.get(kind)
    return None


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
    # psycopg's own cursor, its errors wrapped so a unique conflict is an IntegrityError.
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy,
    ):
        for values in chunk:
            copy.write_row(values)
    return len(chunk)


def _sqlite_insert(table: str, quoted: str, width: int, chunk: list[tuple[Any, ...]]) -> None:
    """Multi-row INSERTs, as many rows to a statement as SQLite takes parameters. Not
    executemany: the FTS5 search index writes a segment per statement."""
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per_statement = max(1, limit // width)
    row = "(" + ", ".join(["?"] * width) + ")"
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        # The driver's own cursor: Django's would rewrite every placeholder of the statement.
        cursor = connection.connection.cursor()
        try:
            for start in range(0, len(chunk), per_statement):
                part = chunk[start : start + per_statement]
                # Table and column names come from the model, not from input.
                sql = f"INSERT INTO {table} ({quoted}) VALUES {', '.join([row] * len(part))}"  # noqa: S608
                cursor.execute(sql, [value for values in part for value in values])
        finally:
            cursor.close()
