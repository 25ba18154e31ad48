"""Turn the provider's fax object (a dict, as JSON gives it) into Fax model fields.

Sync, webhooks and the send form all receive the same fax object; this is the one place
that reads it. Provider data is taken as it comes: odd types are coerced or dropped, never
allowed to crash the caller, but a payload without a usable message id or status is refused.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fax_numbers.phone import to_e164
from faxes.models import Direction, FaxStatus


class InvalidPayload(ValueError):
    """The payload is not a fax object we can apply; `str()` says what is wrong."""


_STATUSES = set(FaxStatus.values)
_DIRECTIONS = set(Direction.values)


def fax_fields(raw: Any) -> dict[str, Any]:
    """Model field values for a fax object; raises InvalidPayload if it is not one."""
    if not isinstance(raw, dict):
        raise InvalidPayload("the fax object must be a JSON object")
    try:
        message_id = uuid.UUID(str(raw.get("messageId", "")))
    except ValueError as exc:
        raise InvalidPayload("messageId is missing or not a UUID") from exc
    status = raw.get("status")
    if not isinstance(status, str) or status not in _STATUSES:
        raise InvalidPayload(f"status {status!r} is not one of {', '.join(sorted(_STATUSES))}")
    direction = raw.get("direction") or raw.get("classificationLabel")
    if not isinstance(direction, str) or direction not in _DIRECTIONS:
        raise InvalidPayload(f"direction {direction!r} is not inbound or outbound")

    fields = {
        "message_id": message_id,
        "account_id": provider_uuid(raw.get("accountId")),
        "direction": direction,
        "status": status,
        "fax_number": to_e164(_str(raw.get("faxNumber"), 32))[:20],
        "fax_csid": _str(raw.get("faxCsid"), 100),
        "fax_caller_id": _caller_id(raw.get("faxCallerId")),
        "pages_count": _int(raw.get("pagesCount")),
        "pages_complete": _int(raw.get("pagesComplete")),
        "result_code": _str(raw.get("resultCode"), 32),
        "result_info": _str(raw.get("resultInfo"), 255),
        "error_info": _str(raw.get("errorInfo"), 500),
        "error_code": _str(raw.get("errorCode"), 64),
        "duration": _int(raw.get("duration")),
        "fax_speed": _int(raw.get("faxSpeed")),
        "fax_ecm": _int(raw.get("faxECM")),
        "fax_protocol": _int(raw.get("faxProtocol")),
        "fax_attempt": _int(raw.get("faxAttempt")),
        "fax_detected": raw.get("faxDetected")
        if isinstance(raw.get("faxDetected"), bool)
        else None,
        "is_archived": raw.get("isArchived") is True,
        "is_file_purged": raw.get("isFilePurged") is True,
        "subject": _str(raw.get("subject"), 255),
        "recipient_name": _str(raw.get("recipientName"), 255),
        "message_number": _str(raw.get("messageNumber"), 64),
        "channel_type": _str(raw.get("channelType"), 32),
        # None when absent or unreadable: the merge uses "now" for a new fax and keeps the
        # known date of a cached one (so a repeated report does not move it).
        "created_at": provider_datetime(raw.get("createdAt")),
        "resolved_at": provider_datetime(raw.get("resolvedDate")),
        "deleted_at": provider_datetime(raw.get("deletedAt")),
        "tags": _tags(raw.get("tags")),
        "custom_fields": raw["cf"] if isinstance(raw.get("cf"), dict) else {},
        "raw": raw,
    }
    if direction == Direction.INBOUND and fields["fax_caller_id"] == fields["fax_number"]:
        # Some lines pass our own number on as the caller id: it says nothing of the sender
        # (the CSID, when there is one, still does). The provider's value stays in `raw`.
        fields["fax_caller_id"] = ""
    fields["search_text"] = search_text(fields)
    fields["tag_list"] = _tag_list(fields["tags"])
    return fields


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


def _str(value: Any, limit: int) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)[:limit]


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 2**31 else None
    # isdecimal, not isdigit: int() refuses "²"; and no 5000-digit strings for int().
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) <= 10:
        number = int(value)
        return number if number < 2**31 else None
    return None


def provider_uuid(value: Any) -> uuid.UUID | None:
    """A UUID the provider sent, or None when absent or malformed."""
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def provider_datetime(value: Any) -> datetime | None:
    """An aware UTC datetime from the provider's ISO text, or None when absent or unusable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)  # year 1 at +05:00 has no UTC equivalent
    except OverflowError:
        return None


def _caller_id(value: Any) -> str:
    text = _str(value, 32)
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
