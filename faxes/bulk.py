"""Fast inserts: many rows (a sync page of new faxes, demo data, benchmark databases), and
single new rows on the webhook's hot path.

`bulk_create` spends most of its time compiling SQL (on SQLite, a statement per 20 fax rows);
`insert_rows` writes rows through the database's own bulk path (multi-row INSERTs on SQLite,
COPY on PostgreSQL), several times faster. Rows are dicts of field values (attnames) as the model
would hold them; missing fields take their defaults.

`insert_instance` is `Model.save()` for a new row with the SQL built once per model instead
of on every call (a third of a webhook's time was the ORM compiling its three INSERTs), and
with an optional `ON CONFLICT (...) DO NOTHING` that replaces a savepoint around the insert.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import Field, Model

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


def insert_instance(
    instance: Model,
    *,
    unless_conflict_on: tuple[str, ...] = (),
    computed: dict[str, tuple[str, list[Any]]] | None = None,
) -> bool:
    """Insert a new model instance in one statement, as `instance.save()` would (defaults,
    auto_now fields, the database's value conversions), and give it its primary key.

    With `unless_conflict_on` (column names of a unique constraint), a row that already holds
    those values makes it insert nothing and return False, without an error that would spoil
    the transaction; concurrent inserts of the same values wait for each other as usual.
    `computed` maps fields (attnames) to an SQL expression and its parameters, which the
    database computes in the same statement (a lookup that would cost a round trip of its
    own); the instance gets the values back. No signals are sent (none of the models written
    this way has receivers). On a database that cannot return columns from an INSERT (SQLite
    before 3.35), the same happens through `save()`, a savepoint and a separate lookup.
    """
    prepared = prepare_insert(instance, unless_conflict_on=unless_conflict_on, computed=computed)
    return prepared.execute()


def prepare_insert(
    instance: Model,
    *,
    unless_conflict_on: tuple[str, ...] = (),
    computed: dict[str, tuple[str, list[Any]]] | None = None,
) -> PreparedInsert:
    """`insert_instance` in two steps: the values are converted now, the row written by
    `execute()`, so that the conversions run before a transaction opens (on SQLite, while
    no other writer waits). Related instances must be saved before this."""
    model = type(instance)
    computed = computed or {}
    # The connection itself, not the thread-local proxy: each field's conversion asks it for
    # its operations, and through the proxy that was a fifth of the time.
    db = connections[DEFAULT_DB_ALIAS]
    prepared = PreparedInsert(instance, unless_conflict_on, computed)
    if not db.features.can_return_columns_from_insert:
        return prepared  # written through save() (_save_instance)
    expressions = tuple((name, sql) for name, (sql, _) in computed.items())
    columns, prepared.sql = _insert_statement(model, db.vendor, unless_conflict_on, expressions)
    instance._prepare_related_fields_for_save(operation_name="save")
    for field, plain in columns:
        if field.attname in computed:
            prepared.values.extend(computed[field.attname][1])
            continue
        prepared.positions[field.attname] = (len(prepared.values), field, plain)
        prepared.values.append(_db_value(field, plain, field.pre_save(instance, True), db))
    prepared.expressions = expressions
    return prepared


def _db_value(field: Field, plain: tuple[type, ...], value: Any, db) -> Any:
    # Only values Django would convert get converted (the types differ by database).
    return value if type(value) in plain else field.get_db_prep_save(value, db)


@dataclass(eq=False)
class PreparedInsert:
    """A new instance's INSERT with its values converted (`prepare_insert`)."""

    instance: Model
    unless_conflict_on: tuple[str, ...]
    computed: dict[str, tuple[str, list[Any]]]
    sql: str = ""
    values: list[Any] = dataclass_field(default_factory=list)
    expressions: tuple[tuple[str, str], ...] = ()
    positions: dict[str, tuple[int, Field, tuple[type, ...]]] = dataclass_field(
        default_factory=dict
    )

    def execute(self, *, refresh: tuple[str, ...] = ()) -> bool:
        """Write the row, as `insert_instance` does. A field changed on the instance after
        preparing is written with its new value only if `refresh` names it (attnames)."""
        instance = self.instance
        db = connections[DEFAULT_DB_ALIAS]
        if not self.sql:
            return _save_instance(instance, db, self.unless_conflict_on, self.computed)
        if not db.in_atomic_block:  # the driver's cursor below must run in a transaction
            with transaction.atomic(using=db.alias):
                return self.execute(refresh=refresh)
        for name in refresh:
            index, model_field, plain = self.positions[name]
            self.values[index] = _db_value(model_field, plain, getattr(instance, name), db)
        row = _execute_returning(db, self.sql, self.values)
        if row is None:
            return False
        instance.pk = row[0]
        for (name, _), value in zip(self.expressions, row[1:], strict=True):
            setattr(instance, name, value)
        instance._state.adding = False
        instance._state.db = db.alias
        return True


def _execute_returning(db, sql: str, values: list[Any]) -> tuple[Any, ...] | None:
    """Run an INSERT ... RETURNING on the driver's own cursor, with Django's error classes.

    Django's cursor wrapper rewrote the placeholders of this long statement and went through
    four layers of wrappers on every call, the slowest part of a webhook's transaction (on
    SQLite, the time every other writer waits); the statement comes already in the driver's
    placeholder style (`_insert_statement`). These INSERTs do not show in
    `connection.queries`.
    """
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        cursor = db.connection.cursor() if db.vendor == "sqlite" else db.create_cursor()
        try:
            cursor.execute(sql, values)
            return cursor.fetchone()
        finally:
            cursor.close()


def _save_instance(
    instance: Model,
    db,
    unless_conflict_on: tuple[str, ...],
    computed: dict[str, tuple[str, list[Any]]],
) -> bool:
    """`insert_instance` without RETURNING: the ORM's INSERT, in a savepoint if a conflict
    is to be tolerated (any integrity error then counts as one, as it did before)."""
    with db.cursor() as cursor:
        for name, (sql, params) in computed.items():
            cursor.execute(f"SELECT {sql}", params)
            setattr(instance, name, cursor.fetchone()[0])
    if not unless_conflict_on:
        instance.save(force_insert=True)
        return True
    try:
        with transaction.atomic(using=db.alias):
            instance.save(force_insert=True)
    except IntegrityError:
        instance.pk = None
        instance._state.adding = True
        return False
    return True


# Field types whose values of these Python types Django writes unchanged, on any database.
_UNCHANGED: dict[str, tuple[type, ...]] = {
    "CharField": (str,),
    "TextField": (str,),
    "EmailField": (str,),
    "SlugField": (str,),
    "BooleanField": (bool,),
    "IntegerField": (int,),
    "BigIntegerField": (int,),
    "SmallIntegerField": (int,),
    "PositiveIntegerField": (int,),
    "PositiveBigIntegerField": (int,),
    "PositiveSmallIntegerField": (int,),
    "AutoField": (int,),
    "BigAutoField": (int,),
    "SmallAutoField": (int,),
}
# ... and those that PostgreSQL takes as they are (SQLite stores a UUID as text).
_UNCHANGED_ON_POSTGRESQL: dict[str, tuple[type, ...]] = {"UUIDField": (uuid.UUID,)}


def _unchanged(field: Field, vendor: str) -> tuple[type, ...]:
    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()
    kinds = _UNCHANGED_ON_POSTGRESQL.get(kind, ()) if vendor == "postgresql" else ()
    return (type(None), *_UNCHANGED.get(kind, ()), *kinds)


@cache
def _insert_statement(
    model: type[Model],
    vendor: str,
    conflict: tuple[str, ...],
    expressions: tuple[tuple[str, str], ...],
) -> tuple[list[tuple[Field, tuple[type, ...]]], str]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    by_name = dict(expressions)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(by_name.get(f.attname, "%s") for f in fields)
    on_conflict = (
        f" ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO NOTHING" if conflict else ""
    )
    returning = ", ".join(
        quote(model._meta.get_field(name).column)
        for name in [model._meta.pk.name, *(name for name, _ in expressions)]
    )
    # Table and column names come from the model, expressions from our code, not from input.
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        f"{on_conflict} RETURNING {returning}"
    )
    if vendor == "sqlite":  # the driver's own placeholders (the SQL holds no other "%")
        sql = sql.replace("%s", "?")
    return [(f, _unchanged(f, vendor)) for f in fields], sql


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
