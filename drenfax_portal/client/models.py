"""Typed results of the Drenfax client.

Each dataclass keeps the provider's dict as `.raw` and exposes the documented fields in
snake_case, read from their camelCase keys. Parsing never fails: the provider's examples
carry odd types (`faxbridgeId` a number, `count` a string), so a value of the wrong type
becomes None, or is coerced when the intent is clear (`"99"` -> 99). Naive timestamps are UTC.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

#: Fax statuses that never change again.
TERMINAL_STATUSES = frozenset({"success", "failed", "cancelled"})


# --- coercion: never raise, return None when the value cannot mean the type --------------


def _int(value: Any) -> int | None:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    # Ids sometimes arrive as JSON numbers (faxbridgeId: 210000000000); bools are not ids.
    number = _int(value)
    return None if number is None else str(number)


def _bool(value: Any) -> bool | None:
    if isinstance(value, str):
        value = {"true": True, "false": False}.get(value.strip().lower())
    elif isinstance(value, int) and value in (0, 1):  # True and False included
        value = bool(value)
    return value if isinstance(value, bool) else None


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _dict(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    # `storage` (and possibly `cf`) travel as JSON text.
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return None
        return decoded if isinstance(decoded, dict) else None
    return None


def _list(value: Any) -> list[Any] | None:
    return value if isinstance(value, list) else None


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def _values(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """Each field of `cls` that `_CONVERTERS` knows, converted by its annotation, from its
    camelCase key or the first usable of the keys `cls._keys` names."""
    values = {}
    for f in fields(cls):
        if f.type in _CONVERTERS:
            keys = cls._keys.get(f.name, (_camel(f.name),))
            converted = (_CONVERTERS[f.type](data.get(key)) for key in keys)
            values[f.name] = next((v for v in converted if v is not None), None)
    return values


@dataclass(frozen=True)
class _Parsed:
    # The provider's object as it came, with any field not read into an attribute.
    raw: dict[str, Any] = field(default_factory=dict, repr=False, kw_only=True)
    # Wire keys of the fields not sent under their camelCase name, in order of preference.
    _keys: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Make each result, and a list of them, a field type of the others."""
        super().__init_subclass__(**kwargs)

        def one(value: Any) -> _Parsed | None:
            return cls.from_api(value) if isinstance(value, dict) else None

        def many(value: Any) -> list[_Parsed] | None:
            return cls.from_api_list(value) if isinstance(value, list) else None

        _CONVERTERS[f"{cls.__name__} | None"] = one
        _CONVERTERS[f"list[{cls.__name__}] | None"] = many
        _CONVERTERS[f"list[{cls.__name__}]"] = lambda value: many(value) or []

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Parse the provider's object."""
        return cls(**_values(cls, data), raw=dict(data))

    @classmethod
    def from_api_list(cls, data: list[Any]) -> list[Self]:
        """Parse each object of a list; items that are not JSON objects are skipped."""
        return [cls.from_api(item) for item in data if isinstance(item, dict)]


# Keyed by the annotation as written: this module's annotations are postponed (strings).
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "str | None": _str,
    "int | None": _int,
    "bool | None": _bool,
    "datetime | None": _datetime,
    "dict[str, Any] | None": _dict,
    "list[Any] | None": _list,
}


# --- nested objects ------------------------------------------------------------------------


@dataclass(frozen=True)
class User(_Parsed):
    """A portal user as the provider lists them on faxes and numbers (`users` arrays)."""

    # Fax examples carry both `userId` and `uuid`; number examples only `userId`.
    _keys = {"user_id": ("userId", "uuid")}

    user_id: str | None = None
    account_id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    avatar_url: str | None = None


@dataclass(frozen=True)
class Account(_Parsed):
    """The `account`, `owner` and `manager` objects."""

    uuid: str | None = None
    account_number: str | None = None
    account_name: str | None = None
    account_type: str | None = None
    support_code: str | None = None
    company_name: str | None = None


@dataclass(frozen=True)
class FaxBridge(_Parsed):
    """The `faxbridge` device object."""

    device_code: str | None = None
    name: str | None = None
    is_active: bool | None = None


# --- faxes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fax(_Parsed):
    """A fax, as answered by send, resend, cancel, update, info and history.

    `fax_number` is the remote number of an outbound fax and *our* number of an inbound
    one (the sender is then in `fax_caller_id` / `fax_csid`). `custom_fields` is the
    wire's `cf`. `duration` is as the provider gives it (undocumented unit).
    """

    # The examples spell `faxbridgeId` both ways (and once as a number).
    _keys = {
        "fax_ecm": ("faxECM",),
        "custom_fields": ("cf",),
        "faxbridge_id": ("faxbridgeId", "faxbridge_id"),
    }

    message_id: str | None = None
    status: str | None = None
    direction: str | None = None
    account_id: str | None = None
    fax_number: str | None = None
    fax_caller_id: str | None = None
    fax_csid: str | None = None
    recipient_name: str | None = None
    subject: str | None = None
    pages_count: int | None = None
    pages_complete: int | None = None
    duration: int | None = None
    result_code: str | None = None
    result_info: str | None = None
    error_code: str | None = None
    error_info: str | None = None
    is_archived: bool | None = None
    is_file_purged: bool | None = None
    is_read: bool | None = None
    channel_type: str | None = None
    classification_label: str | None = None
    processing_status_name: str | None = None
    delivery_id: str | None = None
    message_number: str | None = None
    country: str | None = None
    created_at: datetime | None = None
    resolved_date: datetime | None = None
    deleted_at: datetime | None = None
    fax_attempt: int | None = None
    fax_detected: bool | None = None
    fax_ecm: int | None = None
    fax_speed: int | None = None
    fax_protocol: int | None = None
    faxbridge_id: str | None = None
    device_id: str | None = None
    custom_fields: dict[str, Any] | None = None
    tags: list[Any] | None = None
    contacts: list[Any] | None = None
    users: list[User] | None = None
    account: Account | None = None
    faxbridge: FaxBridge | None = None

    @property
    def is_terminal(self) -> bool:
        """True once the status can no longer change (success, failed, cancelled)."""
        return self.status in TERMINAL_STATUSES


class _Page(_Parsed):
    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Parse a page (`count` arrives as a string)."""
        values = _values(cls, data)
        count = _int(data.get("count"))
        # Without a usable total, what we can vouch for is the rows we hold.
        values["count"] = len(values["rows"]) if count is None else count
        return cls(**values, raw=dict(data))


@dataclass(frozen=True)
class HistoryPage(_Page):
    """One page of `GET /v1/fax/history`: `count` faxes match in total, `rows` is this page."""

    count: int
    rows: list[Fax]


@dataclass(frozen=True)
class BatchError(_Parsed):
    """One recipient a batch send (multiple, resend, blast) could not send to."""

    _keys = {"error": ("error", "message")}

    error: str | None = None
    recipient_fax: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Also reads the nested form `{"error": {"name": ..., "message": ...}}`."""
        parsed = super().from_api(data)
        nested = data.get("error")
        if parsed.error is None and isinstance(nested, dict):
            parts = [nested[k] for k in ("name", "message") if isinstance(nested.get(k), str)]
            return replace(parsed, error=": ".join(parts) or None)
        return parsed


@dataclass(frozen=True)
class BatchResult(_Parsed):
    """The `{success: [...], errors: [...]}` answer of multiple send, resend and blast."""

    success: list[Fax]
    errors: list[BatchError]


@dataclass(frozen=True)
class CoverPage(_Parsed):
    """A cover page template (`GET /coverpages`)."""

    uuid: str | None = None
    name: str | None = None
    template: str | None = None
    account_id: str | None = None
    user_id: str | None = None
    is_public: bool | None = None
    preview_link: str | None = None


# --- numbers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaxNumber(_Parsed):
    """A fax number owned by the account.

    `number` is kept as the provider sends it (`"3144508380"`, without `+1`: normalising
    it is the caller's). `storage` holds FTP/SFTP settings, maybe a password: not in `repr`.
    """

    uuid: str | None = None
    number: str | None = None
    pending_until: datetime | None = None
    owned_by: str | None = None
    managed_by: str | None = None
    created_at: datetime | None = None
    type: str | None = None
    storage: dict[str, Any] | None = field(default=None, repr=False)
    users: list[User] | None = None
    owner: Account | None = None
    manager: Account | None = None
    faxbridge: FaxBridge | None = None


@dataclass(frozen=True)
class NumbersPage(_Page):
    """One page of `GET /v1/numbers`."""

    count: int
    rows: list[FaxNumber]
    limit: int | None = None
    offset: int | None = None


@dataclass(frozen=True)
class AvailableNumber(_Parsed):
    """A number offered by `GET /v1/numbers/provision/search`, with its regional data."""

    number_e164: str | None = None
    country_iso: str | None = None
    rate_center: str | None = None
    state: str | None = None
    preferable: bool | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> AvailableNumber:
        """Parse one search result (its snake_case keys, partly under `regional_data`)."""
        regional = data.get("regional_data")
        regional = regional if isinstance(regional, dict) else {}
        return cls(
            number_e164=_str(data.get("number_e164")),
            country_iso=_str(regional.get("country_iso")),
            rate_center=_str(regional.get("rate_center")),
            state=_str(regional.get("state")),
            preferable=_bool(data.get("preferable")),
            raw=dict(data),
        )
