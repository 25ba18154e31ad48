"""Fast bulk loading of generated faxes into the cache (demo data and benchmarks).

A million rows through `bulk_create` take minutes; this writes the same rows with the
database's own bulk path (executemany on SQLite, COPY on PostgreSQL) in well under one.
Only for generated data: real faxes always go through `faxes.services`.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction

from fax_numbers.models import FaxNumber
from faxes.models import Direction, Fax, FaxStatus
from faxes.payload import search_text

FAILURES = [("Busy", "17"), ("No answer", "18"), ("Not a fax machine", "21")]
SUBJECTS = ["Referral", "Lab results", "Invoice", "Prior authorization", "Contract", "Records"]
NAMES = ["Dr. Patel", "Mercy Clinic", "Acme Freight", "Lee & Park LLP", "Front desk", ""]
AREAS = ["206", "312", "415", "617", "718", "503", "404", "214"]


def generate_faxes(
    count: int,
    *,
    numbers: list[FaxNumber],
    senders: dict[int, int | None],
    rng: random.Random,
    now: datetime,
    days: float = 90,
) -> Iterator[dict[str, Any]]:
    """Field values of `count` plausible faxes, newest first, spread over `days`."""
    span = timedelta(days=days).total_seconds()
    for i in range(count):
        number = numbers[rng.randrange(len(numbers))]
        inbound = rng.random() < 0.45
        roll = rng.random()
        status = (
            FaxStatus.FAILED
            if roll < 0.08
            else FaxStatus.CANCELLED
            if roll < 0.085
            else FaxStatus.SUCCESS
        )
        created = now - timedelta(seconds=span * i / max(count, 1) + rng.random() * 30)
        other = f"+1{AREAS[rng.randrange(len(AREAS))]}555{rng.randrange(10000):04d}"
        pages = rng.randint(1, 12)
        failure = FAILURES[rng.randrange(len(FAILURES))] if status == FaxStatus.FAILED else None
        ok = status == FaxStatus.SUCCESS
        row = {
            "message_id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "direction": Direction.INBOUND if inbound else Direction.OUTBOUND,
            "status": status,
            "fax_number": number.number if inbound else other,
            "fax_caller_id": other if inbound else number.number,
            "fax_csid": NAMES[rng.randrange(len(NAMES))] if inbound else "Drenfax",
            "pages_count": pages,
            "pages_complete": pages if ok else rng.randint(0, pages),
            "result_code": failure[1] if failure else ("0" if ok else ""),
            "result_info": failure[0] if failure else ("OK" if ok else ""),
            "error_info": failure[0] if failure else "",
            "duration": pages * rng.randint(20_000, 40_000),
            "fax_speed": 14400 if ok else None,
            "subject": "" if inbound else SUBJECTS[rng.randrange(len(SUBJECTS))],
            "recipient_name": "" if inbound else NAMES[rng.randrange(len(NAMES))],
            "is_archived": rng.random() < 0.1,
            "created_at": created,
            "resolved_at": created + timedelta(minutes=2),
            "tags": ["billing"] if rng.random() < 0.05 else [],
            "number_id": number.pk,
            "sent_by_id": None if inbound else senders.get(number.pk),
        }
        yield row


def _complete(row: dict[str, Any]) -> dict[str, Any]:
    row.setdefault("custom_fields", {})
    row["search_text"] = search_text(row)
    row["tag_list"] = "|" + "|".join(row["tags"]) + "|"
    return row


def bulk_insert_faxes(rows: Iterable[dict[str, Any]], *, batch: int = 20_000) -> int:
    """Insert generated fax rows as fast as the database allows; returns how many."""
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
