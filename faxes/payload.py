"""Turn the provider's fax object (as the client's typed `Fax` reads it) into Fax model
fields, refusing a payload without a usable message id or status.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from drenfax_portal.client import Fax
from drenfax_portal.uuids import parse_uuid
from fax_numbers.phone import to_e164
from faxes.models import Direction, FaxStatus


class InvalidPayload(ValueError):
    """The payload is not a fax object we can apply; `str()` says what is wrong."""


_STATUSES = set(FaxStatus.values)
_DIRECTIONS = set(Direction.values)


def fax_fields(fax: Any) -> dict[str, Any]:
    """Model field values for a fax object (the provider's dict, or the client's `Fax` read
    from it); raises InvalidPayload if it is not a fax we can apply."""
    if isinstance(fax, dict):
        fax = Fax.from_api(fax)
    elif not isinstance(fax, Fax):
        raise InvalidPayload("the fax object must be a JSON object")
    message_id = parse_uuid(fax.message_id)
    if message_id is None:
        raise InvalidPayload("messageId is missing or not a UUID")
    if fax.status not in _STATUSES:
        raise InvalidPayload(f"status {fax.status!r} is not one of {', '.join(sorted(_STATUSES))}")
    direction = fax.direction or fax.classification_label
    if direction not in _DIRECTIONS:
        raise InvalidPayload(f"direction {direction!r} is not inbound or outbound")

    fields = {
        "message_id": message_id,
        "account_id": parse_uuid(fax.account_id),
        "direction": direction,
        "status": fax.status,
        "fax_number": to_e164(_text(fax.fax_number, 32))[:20],
        "fax_csid": _text(fax.fax_csid, 100),
        "fax_caller_id": _caller_id(fax.fax_caller_id),
        "pages_count": _count(fax.pages_count),
        "pages_complete": _count(fax.pages_complete),
        "result_code": _text(fax.result_code, 32),
        "result_info": _text(fax.result_info, 255),
        "error_info": _text(fax.error_info, 500),
        "error_code": _text(fax.error_code, 64),
        "duration": _count(fax.duration),
        "fax_speed": _count(fax.fax_speed),
        "fax_ecm": _count(fax.fax_ecm),
        "fax_protocol": _count(fax.fax_protocol),
        "fax_attempt": _count(fax.fax_attempt),
        "fax_detected": fax.fax_detected,
        "is_archived": fax.is_archived is True,
        "is_file_purged": fax.is_file_purged is True,
        "subject": _text(fax.subject, 255),
        "recipient_name": _text(fax.recipient_name, 255),
        "message_number": _text(fax.message_number, 64),
        "channel_type": _text(fax.channel_type, 32),
        # None when absent or unreadable: the merge uses "now" for a new fax and keeps the
        # known date of a cached one (so a repeated report does not move it).
        "created_at": _utc(fax.created_at),
        "resolved_at": _utc(fax.resolved_date),
        "deleted_at": _utc(fax.deleted_at),
        "tags": _tags(fax.tags),
        "custom_fields": fax.custom_fields or {},
        "raw": fax.raw,
    }
    if direction == Direction.INBOUND and fields["fax_caller_id"] == fields["fax_number"]:
        # Some lines pass our own number on as the caller id: it says nothing of the sender
        # (the CSID, when there is one, still does). The provider's value stays in `raw`.
        fields["fax_caller_id"] = ""
    fields = {name: storable(value) for name, value in fields.items()}
    fields["search_text"] = search_text(fields)
    fields["tag_list"] = _tag_list(fields["tags"])
    return fields


def storable(value: Any) -> Any:
    """Provider JSON made storable: no NUL or lone surrogates (PostgreSQL refuses both), no
    infinite numbers."""
    if isinstance(value, str):
        return _storable_text(value)
    if isinstance(value, dict):
        return {_storable_text(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _storable_text(text: str) -> str:
    if text.isascii():
        return text.replace("\x00", "")
    return text.replace("\x00", "").encode("utf-8", errors="replace").decode("utf-8")


def search_text(fields: dict[str, Any]) -> str:
    """What the history's text search matches against, lower-cased. A number typed as digits
    ("2065550100") is a substring of the stored E.164 form: each number is there once, every
    character one more entry to write in the search index."""
    parts = [
        fields["fax_number"],
        fields["fax_caller_id"],
        fields["fax_csid"],
        fields["subject"],
        fields["recipient_name"],
        str(fields["message_id"]),
        *(f"{k} {v}" for k, v in fields["custom_fields"].items()),
    ]
    return "\n".join(p for p in parts if p).lower()


def _text(value: str | None, limit: int) -> str:
    return (value or "")[:limit]


def _count(value: int | None) -> int | None:
    """A count or id that fits the database's integer columns, or None."""
    return value if value is not None and 0 <= value < 2**31 else None


def _utc(value: datetime | None) -> datetime | None:
    try:
        return value.astimezone(UTC) if value is not None else None
    except OverflowError:  # year 1 at +05:00 has no UTC equivalent
        return None


def _caller_id(value: str | None) -> str:
    text = _text(value, 32)
    return to_e164(text)[:32] if sum(ch.isdigit() for ch in text) >= 10 else text


def _tag_list(tags: list[str]) -> str:
    """The tag filter's column, "|tag|tag|", with as many tags as fit in 1000 characters."""
    kept, size = [], 2
    for tag in tags:
        size += len(tag) + 1
        if size > 1000:
            break
        kept.append(tag.replace("|", "/"))
    return "|" + "|".join(kept) + "|"


def _tags(value: Any) -> list[str]:
    """Tags arrive as strings or as objects with a name or uuid."""
    if not isinstance(value, list):
        return []
    tags = []
    for tag in value:
        if isinstance(tag, str):
            tags.append(tag[:100])
        elif isinstance(tag, dict):
            name = tag.get("name") or tag.get("uuid") or tag.get("id")
            if name:
                tags.append(str(name)[:100])
    return tags
