"""Typed results of the Drenfax client.

Each dataclass keeps the provider's dict as `.raw` and exposes the documented fields in
snake_case, read from their camelCase keys. Parsing never fails: the provider's examples
carry odd types (`faxbridgeId` a number, `count` a string), so a value of the wrong type
becomes None, or is coerced when the intent is clear (`"99"` -> 99). Naive timestamps are UTC.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Self, TypeVar

_T = TypeVar("_T")


#: Fax statuses that never change again.
TERMINAL_STATUSES = frozenset({"success", "failed", "cancelled"})


# --- coercion: never raise, return None when the value cannot mean the type --------------


def _str(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    # Ids sometimes arrive as JSON numbers (faxbridgeId: 210000000000); bools are not ids.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


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


def _objects(value: Any, parse: Callable[[Mapping[str, Any]], _T]) -> list[_T] | None:
    """A list of parsed objects; items that are not JSON objects are skipped (see .raw)."""
    if not isinstance(value, list):
        return None
    return [parse(item) for item in value if isinstance(item, dict)]


def _object(value: Any, parse: Callable[[Mapping[str, Any]], _T]) -> _T | None:
    return parse(value) if isinstance(value, dict) else None


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def _scalars(cls: type, data: Mapping[str, Any], **keys: str) -> dict[str, Any]:
    """Each optional scalar field of `cls`, converted by its annotation, from its camelCase
    key (or the key `keys` names)."""
    return {
        f.name: _CONVERTERS[f.type](data.get(keys.get(f.name) or _camel(f.name)))
        for f in fields(cls)
        if f.type in _CONVERTERS
    }


class _Parsed:
    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Parse the provider's object."""
        return cls(**_scalars(cls, data), raw=dict(data))


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
class User:
    """A portal user as the provider lists them on faxes and numbers (`users` arrays)."""

    user_id: str | None = None
    account_id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    avatar_url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> User:
        """Parse one entry of a `users` array."""
        values = _scalars(cls, data)
        # Fax examples carry both `userId` and `uuid`; number examples only `userId`.
        values["user_id"] = values["user_id"] or _str(data.get("uuid"))
        return cls(**values, raw=dict(data))


@dataclass(frozen=True)
class Account(_Parsed):
    """The `account`, `owner` and `manager` objects."""

    uuid: str | None = None
    account_number: str | None = None
    account_name: str | None = None
    account_type: str | None = None
    support_code: str | None = None
    company_name: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class FaxBridge(_Parsed):
    """The `faxbridge` device object."""

    device_code: str | None = None
    name: str | None = None
    is_active: bool | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


# --- faxes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fax:
    """A fax, as answered by send, resend, cancel, update, info and history.

    `fax_number` is the remote number of an outbound fax and *our* number of an inbound
    one (the sender is then in `fax_caller_id` / `fax_csid`). `custom_fields` is the
    wire's `cf`. `duration` is as the provider gives it (undocumented unit).
    """

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
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_terminal(self) -> bool:
        """True once the status can no longer change (success, failed, cancelled)."""
        return self.status in TERMINAL_STATUSES

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Fax:
        """Parse a fax object."""
        values = _scalars(cls, data, fax_ecm="faxECM", custom_fields="cf")
        # The examples spell it both ways (and once as a number).
        values["faxbridge_id"] = values["faxbridge_id"] or _str(data.get("faxbridge_id"))
        return cls(
            **values,
            users=_objects(data.get("users"), User.from_api),
            account=_object(data.get("account"), Account.from_api),
            faxbridge=_object(data.get("faxbridge"), FaxBridge.from_api),
            raw=dict(data),
        )


@dataclass(frozen=True)
class HistoryPage:
    """One page of `GET /v1/fax/history`: `count` faxes match in total, `rows` is this page."""

    count: int
    rows: list[Fax]
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> HistoryPage:
        """Parse a history page (`count` arrives as a string)."""
        rows = _objects(data.get("rows"), Fax.from_api) or []
        count = _int(data.get("count"))
        # Without a usable total, what we can vouch for is the rows we hold.
        return cls(count=len(rows) if count is None else count, rows=rows, raw=dict(data))


@dataclass(frozen=True)
class BatchError:
    """One recipient a batch send (multiple, resend, blast) could not send to."""

    error: str | None = None
    recipient_fax: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> BatchError:
        """Parse one entry of `errors`."""
        return cls(
            error=_str(data.get("error")) or _str(data.get("message")),
            recipient_fax=_str(data.get("recipientFax")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class BatchResult:
    """The `{success: [...], errors: [...]}` answer of multiple send, resend and blast."""

    success: list[Fax]
    errors: list[BatchError]
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> BatchResult:
        """Parse a batch answer."""
        return cls(
            success=_objects(data.get("success"), Fax.from_api) or [],
            errors=_objects(data.get("errors"), BatchError.from_api) or [],
            raw=dict(data),
        )


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
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


# --- numbers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaxNumber:
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
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> FaxNumber:
        """Parse a number object."""
        return cls(
            **_scalars(cls, data),
            users=_objects(data.get("users"), User.from_api),
            owner=_object(data.get("owner"), Account.from_api),
            manager=_object(data.get("manager"), Account.from_api),
            faxbridge=_object(data.get("faxbridge"), FaxBridge.from_api),
            raw=dict(data),
        )


@dataclass(frozen=True)
class NumbersPage:
    """One page of `GET /v1/numbers`."""

    count: int
    rows: list[FaxNumber]
    limit: int | None = None
    offset: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> NumbersPage:
        """Parse a numbers page."""
        rows = _objects(data.get("rows"), FaxNumber.from_api) or []
        count = _int(data.get("count"))
        return cls(
            **_scalars(cls, data),
            count=len(rows) if count is None else count,
            rows=rows,
            raw=dict(data),
        )


@dataclass(frozen=True)
class AvailableNumber:
    """A number offered by `GET /v1/numbers/provision/search`, with its regional data."""

    number_e164: str | None = None
    country_iso: str | None = None
    rate_center: str | None = None
    state: str | None = None
    preferable: bool | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

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
