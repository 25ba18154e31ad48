"""Checking arguments before a request, and spelling them the way the API expects.

Every check raises `InvalidInputError` naming the argument, before anything is sent.
Encoding follows the reference: lists comma-joined, booleans `true`/`false`, objects as
JSON text, instants as ISO 8601 UTC with milliseconds and `Z`, days as `YYYY-MM-DD`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import IO, Any, TypeAlias, TypedDict
from urllib.parse import quote

from .errors import InvalidInputError

# (filename, bytes or binary file, content type), as requests takes a file part.
Attachment: TypeAlias = tuple[str, bytes | IO[bytes], str | None]


class FaxPages(TypedDict, total=False):
    """What a fax shows, for `preview_fax` and the sends; what is left out is not sent
    (`cover_page`: False). `attachments` are rendered in order; one, or `cover_page=True`,
    is required."""

    attachments: Sequence[Attachment]
    cover_page: bool
    cover_page_id: str | None
    recipient_name: str | None
    sender_name: str | None
    subject: str | None
    caller_id: str | None
    notes: str | None


class SendOptions(FaxPages, total=False):
    """The keywords of `send_fax` and `send_multiple`: the pages and how they are sent."""

    tags: Sequence[str]
    custom_fields: Mapping[str, Any] | None
    scheduled_date: datetime | None
    webhook_id: str | None


# Punctuation people write phone numbers with; it carries no digits.
_PHONE_PUNCTUATION = re.compile(r"[\s().-]")


def _fail(field: str, problem: str) -> InvalidInputError:
    return InvalidInputError(f"{field} {problem}", field=field)


def text(field: str, value: Any, *, max_length: int | None = None) -> str | None:
    """An optional string of at most `max_length` characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(field, f"must be a string, not {type(value).__name__}")
    if max_length is not None and len(value) > max_length:
        raise _fail(field, f"must be at most {max_length} characters long (got {len(value)})")
    return value


def required_text(field: str, value: Any) -> str:
    """A string that must not be blank (ids, account ids, numbers)."""
    checked = text(field, value)
    if checked is None or not checked.strip():
        raise _fail(field, "is required")
    return checked


def optional_id(field: str, value: Any) -> str | None:
    """An optional id: None is left out, but a blank one is a mistake, not "no id"."""
    return None if value is None else required_text(field, value)


def path_segment(field: str, value: Any) -> str:
    """An id placed in a URL path, percent-encoded so it cannot change the path."""
    checked = required_text(field, value)
    if checked in (".", ".."):
        raise _fail(field, f"is not a valid id: {checked!r}")
    return quote(checked, safe="")


def strings(field: str, values: Any, *, max_items: int | None = None) -> list[str]:
    """A sequence of non-blank strings, sent comma-joined (so no item may hold a comma)."""
    if isinstance(values, str | bytes):
        # Iterating "1234567890" would send ten one-digit recipients.
        raise _fail(field, "must be a list of strings, not a single string")
    if values is None:
        values = ()
    if not isinstance(values, Iterable):
        raise _fail(field, f"must be a list of strings, not {type(values).__name__}")
    items = list(values)
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise _fail(field, f"must hold non-blank strings, got {item!r}")
        if "," in item:
            raise _fail(
                field, f"items must not contain commas (they are sent comma-joined): {item!r}"
            )
    if max_items is not None and len(items) > max_items:
        raise _fail(field, f"can hold at most {max_items} items (got {len(items)})")
    return items


def boolean(field: str, value: Any) -> bool:
    """A real bool: `"false"` or `0` would be ambiguous on the wire."""
    if not isinstance(value, bool):
        raise _fail(field, f"must be True or False, not {value!r}")
    return value


def integer(
    field: str, value: Any, *, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    """An optional int within bounds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(field, f"must be an integer, not {value!r}")
    if minimum is not None and value < minimum:
        raise _fail(field, f"must be at least {minimum} (got {value})")
    if maximum is not None and value > maximum:
        raise _fail(field, f"must be at most {maximum} (got {value})")
    return value


def choice(field: str, value: Any, allowed: tuple[str, ...]) -> str:
    """One of a closed set of strings."""
    if value not in allowed:
        raise _fail(field, f"must be one of {', '.join(allowed)} (got {value!r})")
    return value


def digits(field: str, value: Any, *, length: int) -> str | None:
    """An optional string of exactly `length` digits (area code, exchange)."""
    checked = text(field, value)
    if checked is not None and not re.fullmatch(f"[0-9]{{{length}}}", checked):
        raise _fail(field, f"must be {length} digits (got {checked!r})")
    return checked


def caller_id(value: Any) -> str | None:
    """At most 10 digits, as the reference allows (a NANP number without its country code):
    `"+1 (509) 457-0051"` -> `"5094570051"`."""
    checked = text("caller_id", value)
    if checked is None:
        return None
    number = _PHONE_PUNCTUATION.sub("", checked)
    if number.startswith("+1"):
        number = number[2:]
    elif len(number) == 11 and number.startswith("1"):
        number = number[1:]
    if not re.fullmatch("[0-9]{1,10}", number):
        raise _fail("caller_id", f"must be a phone number of at most 10 digits (got {checked!r})")
    return number


def aware_datetime(field: str, value: Any) -> datetime | None:
    """An optional timezone-aware datetime (a naive one would be sent in the wrong zone)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise _fail(field, f"must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise _fail(field, "must be timezone-aware (e.g. datetime.now(UTC))")
    return value


def day(field: str, value: Any) -> date | None:
    """An optional date; a datetime is refused because its day depends on the zone."""
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise _fail(field, f"must be a date, not {type(value).__name__}")
    return value


def json_object(field: str, value: Any) -> str | None:
    """An optional dict, encoded as the compact JSON text the API wants."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail(field, f"must be a dict, not {type(value).__name__}")
    try:
        return json.dumps(dict(value), separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise _fail(field, f"must be JSON-serialisable: {exc}") from exc


def attachments(field: str, values: Any) -> list[Attachment]:
    """A sequence of `(filename, bytes_or_binary_file, content_type)` tuples."""
    if values is None:
        return []
    if isinstance(values, tuple) and len(values) == 3 and isinstance(values[0], str):
        # A lone tuple, not a sequence of them: its items would be read as files.
        raise _fail(field, "must be a list of (filename, content, content_type) tuples")
    return [attachment(field, item) for item in values]


def attachment(field: str, value: Any) -> Attachment:
    """One `(filename, bytes_or_binary_file, content_type)` tuple."""
    if not isinstance(value, tuple | list) or len(value) != 3:
        raise _fail(field, "must be a (filename, content, content_type) tuple")
    filename, content, content_type = value
    if not isinstance(filename, str) or not filename.strip():
        raise _fail(field, f"needs a file name, got {filename!r}")
    if isinstance(content, bytearray | memoryview):
        content = bytes(content)
    if not isinstance(content, bytes) and not callable(getattr(content, "read", None)):
        raise _fail(field, f"{filename!r} content must be bytes or a binary file")
    if content_type is not None and not isinstance(content_type, str):
        raise _fail(field, f"{filename!r} content type must be a string")
    return (filename, content, content_type)


def encode(value: Any) -> str:
    """One value as the API spells it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        # `2020-01-01T00:00:00.000Z`: ISO 8601 in UTC with milliseconds, as the API's examples.
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ",".join(encode(item) for item in value)
    return str(value)


def pairs(*fields: tuple[str, Any]) -> list[tuple[str, str]]:
    """`(wire name, value)` pairs ready to send, leaving out None and empty lists."""
    return [(name, encode(value)) for name, value in fields if value not in (None, [])]
