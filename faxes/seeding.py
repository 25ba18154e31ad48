"""Fast bulk loading of generated faxes into the cache (demo data and benchmarks).

A million rows through `bulk_create` take minutes; this writes the same rows with the
database's own bulk path (executemany on SQLite, COPY on PostgreSQL) in well under one.
Only for generated data: real faxes always go through `faxes.services`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

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
    """Insert generated fax rows as fast as the database allows; returns how many.

    With `rebuild_indexes` the model's secondary indexes are dropped for the load and built
    again after it, which is several times faster for a million rows.
    """
    if rebuild_indexes:
        with _without_secondary_indexes():
            return bulk_insert_faxes(rows, batch=batch)
    fields = [f for f in Fax._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    now = datetime.now(UTC)
    defaults = {
        f.attname: (f.get_default() if f.has_default() else None)
        for f in fields
        if f.attname not in ("first_seen_at", "updated_at")
    }
    defaults.update(first_seen_at=now, updated_at=now)
    for f in fields:  # text columns are NOT NULL; their empty value is ""
        if defaults.get(f.attname) is None and not f.null:
            defaults[f.attname] = ""
    convert = _sqlite_value if connection.vendor == "sqlite" else _pg_value
    kinds = [_kind(f) for f in fields]
    total = 0
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        values = {**defaults, **_complete(row)}
        values["raw"] = {}
        chunk.append(
            tuple(convert(values[f.attname], kind) for f, kind in zip(fields, kinds, strict=True))
        )
        if len(chunk) >= batch:
            total += _write(columns, chunk)
            chunk = []
    if chunk:
        total += _write(columns, chunk)
    return total


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
def _write(columns: list[str], chunk: list[tuple[Any, ...]]) -> int:
    table = Fax._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for values in chunk:
                    copy.write_row(values)
        else:
            marks = ", ".join(["%s"] * len(columns))
            # Table and column names come from the model, not from input.
            sql = f"INSERT INTO {table} ({quoted}) VALUES ({marks})"  # noqa: S608
            cursor.executemany(sql, chunk)
    return len(chunk)
