"""Typed results of the Drenfax client.

Each dataclass keeps the provider's dict as `.raw` (so fields the client does not model are
never lost) and exposes the documented fields with snake_case names. Parsing is defensive:
the provider's own examples carry odd types (`faxbridgeId` as a number, `count` as a
string, `pagesComplete` null), so a field of the wrong type becomes None (or is coerced
when the intent is clear, e.g. `"99"` -> 99) instead of failing the whole answer.
Missing optional fields are None. Timestamps are aware datetimes (UTC when the provider
gives no offset).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

_T = TypeVar("_T")

__all__ = [
    "TERMINAL_STATUSES",
    "Account",
    "AvailableNumber",
    "BatchError",
    "BatchResult",
    "CoverPage",
    "Fax",
    "FaxBridge",
    "FaxNumber",
    "HistoryPage",
    "NumbersPage",
    "User",
]

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


def _fields(
    data: Mapping[str, Any], spec: tuple[tuple[str, str, Callable[[Any], Any]], ...]
) -> dict[str, Any]:
    """`{attribute: converted value}` for each `(attribute, wire key, converter)` of `spec`."""
    return {attr: convert(data.get(key)) for attr, key, convert in spec}


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
        return cls(
            # Fax examples carry both `userId` and `uuid`; number examples only `userId`.
            user_id=_str(data.get("userId")) or _str(data.get("uuid")),
            account_id=_str(data.get("accountId")),
            email=_str(data.get("email")),
            first_name=_str(data.get("firstName")),
            last_name=_str(data.get("lastName")),
            avatar_url=_str(data.get("avatarUrl")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Account:
    """The `account`, `owner` and `manager` objects."""

    uuid: str | None = None
    account_number: str | None = None
    account_name: str | None = None
    account_type: str | None = None
    support_code: str | None = None
    company_name: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Account:
        """Parse an account object."""
        return cls(**_fields(data, _ACCOUNT_FIELDS), raw=dict(data))


_ACCOUNT_FIELDS = (
    ("uuid", "uuid", _str),
    ("account_number", "accountNumber", _str),
    ("account_name", "accountName", _str),
    ("account_type", "accountType", _str),
    ("support_code", "supportCode", _str),
    ("company_name", "companyName", _str),
)


@dataclass(frozen=True)
class FaxBridge:
    """The `faxbridge` device object."""

    device_code: str | None = None
    name: str | None = None
    is_active: bool | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> FaxBridge:
        """Parse a faxbridge object."""
        return cls(
            device_code=_str(data.get("deviceCode")),
            name=_str(data.get("name")),
            is_active=_bool(data.get("isActive")),
            raw=dict(data),
        )


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
        values = _fields(data, _FAX_FIELDS)
        # The examples spell it both ways (and once as a number).
        values["faxbridge_id"] = _str(data.get("faxbridgeId")) or _str(data.get("faxbridge_id"))
        return cls(
            **values,
            users=_objects(data.get("users"), User.from_api),
            account=_object(data.get("account"), Account.from_api),
            faxbridge=_object(data.get("faxbridge"), FaxBridge.from_api),
            raw=dict(data),
        )


_FAX_FIELDS = (
    ("message_id", "messageId", _str),
    ("status", "status", _str),
    ("direction", "direction", _str),
    ("account_id", "accountId", _str),
    ("fax_number", "faxNumber", _str),
    ("fax_caller_id", "faxCallerId", _str),
    ("fax_csid", "faxCsid", _str),
    ("recipient_name", "recipientName", _str),
    ("subject", "subject", _str),
    ("pages_count", "pagesCount", _int),
    ("pages_complete", "pagesComplete", _int),
    ("duration", "duration", _int),
    ("result_code", "resultCode", _str),
    ("result_info", "resultInfo", _str),
    ("error_code", "errorCode", _str),
    ("error_info", "errorInfo", _str),
    ("is_archived", "isArchived", _bool),
    ("is_file_purged", "isFilePurged", _bool),
    ("is_read", "isRead", _bool),
    ("channel_type", "channelType", _str),
    ("classification_label", "classificationLabel", _str),
    ("processing_status_name", "processingStatusName", _str),
    ("delivery_id", "deliveryId", _str),
    ("message_number", "messageNumber", _str),
    ("country", "country", _str),
    ("created_at", "createdAt", _datetime),
    ("resolved_date", "resolvedDate", _datetime),
    ("deleted_at", "deletedAt", _datetime),
    ("fax_attempt", "faxAttempt", _int),
    ("fax_detected", "faxDetected", _bool),
    ("fax_ecm", "faxECM", _int),
    ("fax_speed", "faxSpeed", _int),
    ("fax_protocol", "faxProtocol", _int),
    ("device_id", "deviceId", _str),
    ("custom_fields", "cf", _dict),
    ("tags", "tags", _list),
    ("contacts", "contacts", _list),
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
class CoverPage:
    """A cover page template (`GET /coverpages`)."""

    uuid: str | None = None
    name: str | None = None
    template: str | None = None
    account_id: str | None = None
    user_id: str | None = None
    is_public: bool | None = None
    preview_link: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CoverPage:
        """Parse a cover page."""
        return cls(
            uuid=_str(data.get("uuid")),
            name=_str(data.get("name")),
            template=_str(data.get("template")),
            account_id=_str(data.get("accountId")),
            user_id=_str(data.get("userId")),
            is_public=_bool(data.get("isPublic")),
            preview_link=_str(data.get("previewLink")),
            raw=dict(data),
        )


# --- numbers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaxNumber:
    """A fax number owned by the account.

    `number` is kept as the provider sends it (the numbers list gives `"3144508380"`,
    without `+1`: normalising it is the caller's). `storage` is the FTP/SFTP settings
    decoded from their JSON text (it can hold a password, so it is left out of `repr`).
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
            uuid=_str(data.get("uuid")),
            number=_str(data.get("number")),
            pending_until=_datetime(data.get("pendingUntil")),
            owned_by=_str(data.get("ownedBy")),
            managed_by=_str(data.get("managedBy")),
            created_at=_datetime(data.get("createdAt")),
            type=_str(data.get("type")),
            storage=_dict(data.get("storage")),
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
            count=len(rows) if count is None else count,
            rows=rows,
            limit=_int(data.get("limit")),
            offset=_int(data.get("offset")),
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
        """Parse one search result."""
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
