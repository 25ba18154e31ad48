"""Fast inserts of many rows: a sync page of new faxes, demo data, benchmark databases.

`bulk_create` spends most of its time compiling SQL (on SQLite, a statement per 20 fax rows);
these write the rows through the database's own bulk path (executemany on SQLite, COPY on
PostgreSQL), several times faster. Rows are dicts of field values (attnames) as the model
would hold them; missing fields take their defaults.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
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
    convert = _sqlite_value if connection.vendor == "sqlite" else _pg_value
    kinds = [_kind(f) for f in fields]
    columns = [f.column for f in fields]
    total = 0
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        values = {**defaults, **row}
        chunk.append(
            tuple(convert(values[f.attname], kind) for f, kind in zip(fields, kinds, strict=True))
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


def _sqlite_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "uuid":
        return value.hex
    if kind == "json":
        return json.dumps(value)
    if kind == "datetime":
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _pg_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "json":
        return json.dumps(value)
    return value


@transaction.atomic
def _write(table: str, columns: list[str], chunk: list[tuple[Any, ...]]) -> int:
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY goes through psycopg's own cursor: wrap its errors as Django's own
            # (a unique conflict must arrive as IntegrityError, like any insert's).
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy,
            ):
                for values in chunk:
                    copy.write_row(values)
        else:
            marks = ", ".join(["%s"] * len(columns))
            # Table and column names come from the model, not from input.
            sql = f"INSERT INTO {table} ({quoted}) VALUES ({marks})"  # noqa: S608
            cursor.executemany(sql, chunk)
    return len(chunk)
