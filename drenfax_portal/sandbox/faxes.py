"""Faxes: send validation, the fax object, the lifecycle steps, history and fax operations.

Functions here take an open connection (inside `Store.tx()` / `Store.read()`) and return
plain dicts; the caller emits webhooks after the transaction commits.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import phonenumbers

from . import people
from .clock import day_after, is_date_only, iso, parse_iso
from .coverpages import DEFAULT_COVER_PAGE_ID, get_cover_page
from .documents import Attachment, analyse_upload
from .errors import InvalidInput, NotFound
from .numbers import active_numbers, check_account
from .request import Form, is_uuid, parse_bool, parse_int, parse_json, parse_uuid, split_list

if TYPE_CHECKING:
    from .core import SandboxCore

log = logging.getLogger("drenfax_portal.sandbox")

OUTBOUND_CSID = "Drenfax"
TERMINAL = frozenset({"success", "failed", "cancelled"})
FIELD_LIMITS = {"recipientName": 40, "senderName": 40, "subject": 55, "callerId": 10, "notes": 4000}
MAX_RECIPIENTS = 1000

# Lifecycle timing in seconds at --speed 1 (the sandbox divides them by the speed).
T_PROCESS = 2.0  # processing -> transmitting
T_DIAL = 3.0  # dialling before the first page (or before a failed call ends)
T_PAGE = 3.0  # each page
T_HANGUP = 1.0  # last page -> success

# Deterministic outcomes by the last four digits of the destination.
FAILURES = {
    "0001": {
        "resultCode": "6000",
        "errorCode": "1604003",
        "resultInfo": "Busy",
        "errorInfo": "The fax number was busy (3 attempts)",
        "faxAttempt": 3,
        "duration": 4000,
    },
    "0002": {
        "resultCode": "6100",
        "errorCode": "1614000",
        "resultInfo": "No answer",
        "errorInfo": "No answer after ringing for 60 seconds (3 attempts)",
        "faxAttempt": 3,
        "duration": 60000,
    },
    "0003": {
        "resultCode": "6200",
        "errorCode": "1624000",
        "resultInfo": "Not a fax machine",
        "errorInfo": "The call was answered but no fax tone was detected",
        "faxAttempt": 1,
        "duration": 35000,
    },
}

HISTORY_STATUSES = {
    "all": None,
    "success": ("success",),
    "failed": ("failed",),
    "processing": ("processing", "transmitting"),
    "scheduled": ("scheduled",),
    "transmitting": ("transmitting",),
    "cancelled": ("cancelled",),
}


# --- destinations ---------------------------------------------------------------------------------
def normalise_destination(raw: str) -> tuple[str, str]:
    """A destination as (E.164, region): 10/11-digit NANP or +E.164, valid per phonenumbers."""
    text = re.sub(r"[\s().-]", "", raw.strip())
    if text.startswith("+"):
        candidate = text
    elif re.fullmatch(r"\d{10}", text):
        candidate = "+1" + text
    elif re.fullmatch(r"1\d{10}", text):
        candidate = "+" + text
    else:
        raise InvalidInput(
            f"invalid fax number '{raw}': use 10 or 11 digits (North America) or +E.164"
        )
    if not re.fullmatch(r"\+\d{8,15}", candidate):
        raise InvalidInput(f"invalid fax number '{raw}': not an E.164 number")
    try:
        parsed = phonenumbers.parse(candidate)
    except phonenumbers.NumberParseException:
        raise InvalidInput(f"invalid fax number '{raw}'") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(f"invalid fax number '{raw}': not a valid phone number")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164, phonenumbers.region_code_for_number(parsed) or "US"


def ten_digits(e164: str) -> str:
    return e164[2:] if e164.startswith("+1") else e164.lstrip("+")


# --- send requests --------------------------------------------------------------------------------
@dataclass
class Recipient:
    raw: str
    contact: dict | None = None


@dataclass
class SendSpec:
    recipients: list[Recipient] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    cover_id: str | None = None
    fields: dict[str, str | None] = field(default_factory=dict)
    cf: dict = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    scheduled_at: float | None = None
    copied_pages: int = 0  # pages of documents copied from another fax (resend)

    @property
    def pages(self) -> int:
        cover = 1 if self.cover_id else 0
        return cover + sum(a.pages for a in self.attachments) + self.copied_pages


# The destination field of each send endpoint, and the other spelling tolerated as an alias.
DESTINATION_FIELDS = {
    "single": ("faxNumber", "recipientFax"),
    "multiple": ("recipientFax", "faxNumber"),
}


def parse_send(
    form: Form,
    *,
    account_id: str,
    now: float,
    recipients: str | None = "multiple",
    strict: bool = False,
) -> SendSpec:
    """Validate a send / preview / blast form as the provider does; InvalidInput on any error.

    `recipients` is "single" (`POST /v1/faxes`: `faxNumber`), "multiple" (`recipientFax`,
    comma-separated, and `recipientContacts`) or None (preview, blast). The other endpoint's
    field is read as an alias and logged, or refused when `strict`.
    """
    spec = SendSpec()
    if recipients:
        field_name, alias = DESTINATION_FIELDS[recipients]
        numbers = split_list(form.get(field_name))
        if form.get(alias) is not None:
            if strict:
                raise InvalidInput(f"unknown field {alias}: this endpoint reads {field_name}")
            log.warning("sandbox: %s sent for %s; read as an alias", alias, field_name)
            numbers += split_list(form.get(alias))
        spec.recipients = [Recipient(raw=n) for n in numbers]
        contact_ids = split_list(form.get("recipientContacts"))
        if contact_ids and recipients == "single" and strict:
            raise InvalidInput(
                "recipientContacts is not a field of POST /v1/faxes; use /v1/faxes/multiple"
            )
        known = {c["uuid"]: c for c in people.contacts(account_id)}
        for contact_id in contact_ids:
            contact = known.get(contact_id.lower())
            if contact is None:
                raise InvalidInput(f"unknown contact id '{contact_id}' in recipientContacts")
            spec.recipients.append(Recipient(raw=contact["faxNumber"], contact=contact))
        if not spec.recipients:
            if recipients == "single":
                raise InvalidInput("faxNumber is required")
            raise InvalidInput("recipientFax is required (or recipientContacts)")
        if len(spec.recipients) > MAX_RECIPIENTS:
            raise InvalidInput(f"at most {MAX_RECIPIENTS} recipients per call")
    spec.attachments = [analyse_upload(u) for u in form.uploads("attachments", "attachments[]")]
    cover_page = parse_bool("coverPage", form.get("coverPage"))
    cover_page_id = (form.get("coverPageId") or "").strip()
    if cover_page_id and get_cover_page(cover_page_id) is None:
        raise InvalidInput(f"unknown coverPageId '{cover_page_id}' (see GET /coverpages)")
    if cover_page or (cover_page is None and cover_page_id):
        spec.cover_id = cover_page_id.lower() if cover_page_id else DEFAULT_COVER_PAGE_ID
    if not spec.attachments and not spec.cover_id:
        raise InvalidInput("No files and cover page in to send.")
    for name, limit in FIELD_LIMITS.items():
        value = form.get(name)
        if value is not None and len(value) > limit:
            raise InvalidInput(f"{name} must be at most {limit} characters (got {len(value)})")
        spec.fields[name] = value if value else None
    caller_id = spec.fields.get("callerId")
    if caller_id is not None and not re.fullmatch(r"[0-9]{10}", caller_id):
        raise InvalidInput(f"callerId must be a 10-digit phone number, not '{caller_id}'")
    cf_text = form.get("cf")
    if cf_text:
        spec.cf = parse_json("cf", cf_text, kind="a JSON object")
        if not isinstance(spec.cf, dict):
            raise InvalidInput('cf must be a JSON object, like {"key": "value"}')
    spec.tags = split_list(form.get("tags"))
    scheduled = form.get("scheduledDate")
    if scheduled:
        try:
            moment = parse_iso(scheduled)
        except ValueError as exc:
            raise InvalidInput(f"scheduledDate must be an ISO 8601 date-time: {exc}") from None
        spec.scheduled_at = moment.timestamp() if moment.timestamp() > now else None
    webhook_id = form.get("webhookId")
    if webhook_id:
        parse_uuid("webhookId", webhook_id)
    return spec


# --- the fax object -------------------------------------------------------------------------------
def _blank_fax(*, message_id: str, account_id: str, direction: str, created: float) -> dict:
    return {
        "errorInfo": None,
        "resultInfo": "OK",
        "processingStatusName": "processing",
        "classificationLabel": direction,
        "messageId": message_id,
        "deliveryId": None,
        "watermark": None,
        "messageNumber": None,
        "status": "processing",
        "pagesCount": 0,
        "pagesComplete": 0,
        "duration": None,
        "faxNumber": None,
        "faxCsid": None,
        "faxCallerId": None,
        "faxECM": None,
        "faxSpeed": None,
        "faxDetected": None,
        "faxProtocol": None,
        "faxAttempt": None,
        "direction": direction,
        "channelType": "api" if direction == "outbound" else "fax",
        "recipientName": None,
        "subject": None,
        "deviceId": None,
        "faxbridgeId": None,
        "accountId": account_id,
        "errorCode": None,
        "resultCode": "0",
        "isArchived": False,
        "isRead": False,
        "isFilePurged": False,
        "country": "US",
        "createdAt": iso(created),
        "scheduledDate": None,
        "resolvedDate": None,
        "deletedAt": None,
        "faxbridge_id": None,
        "users": [],
        "account": people.account_object(account_id, own_account_id=account_id),
        "tags": [],
        "faxbridge": None,
        "contacts": [],
        "cf": {},
        "device": None,
    }


def _set_status(fax: dict, status: str) -> None:
    fax["status"] = status
    fax["processingStatusName"] = status


def _digest(message_id: str) -> int:
    return int(hashlib.sha256(message_id.encode()).hexdigest()[:12], 16)


def _fill_success(fax: dict, resolved: float) -> None:
    seed = _digest(fax["messageId"])
    speed = 33600 if seed % 3 else 14400
    pages = max(1, fax["pagesCount"])
    fax.update(
        duration=8000 + pages * (20000 + seed % 12000),
        faxSpeed=speed,
        faxProtocol=34 if speed == 33600 else 17,
        faxECM=256,
        faxDetected=True,
        faxAttempt=1,
        resultCode="0",
        resultInfo="OK",
        errorInfo=None,
        errorCode=None,
        resolvedDate=iso(resolved),
    )
    _set_status(fax, "success")


def _fill_failure(fax: dict, code: dict, resolved: float) -> None:
    fax.update(
        duration=code["duration"],
        faxSpeed=None,
        faxProtocol=None,
        faxECM=None,
        faxDetected=False,
        faxAttempt=code["faxAttempt"],
        resultCode=code["resultCode"],
        resultInfo=code["resultInfo"],
        errorInfo=code["errorInfo"],
        errorCode=code["errorCode"],
        resolvedDate=iso(resolved),
    )
    _set_status(fax, "failed")


def outcome_for(e164: str) -> str:
    """'success', or the last four digits of a failing test number."""
    tail = e164[-4:]
    return tail if tail in FAILURES else "success"


# --- storage --------------------------------------------------------------------------------------
def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _columns(fax: dict) -> dict:
    cf_values = " ".join(str(v) for v in fax.get("cf", {}).values())
    search = " ".join(
        str(fax.get(k) or "")
        for k in ("faxCsid", "faxCallerId", "faxNumber", "messageId", "subject", "recipientName")
    )
    return {
        "status": fax["status"],
        "is_archived": int(bool(fax["isArchived"])),
        "search": f"{search} {cf_values}".lower(),
        "tags": "," + "".join(f"{t['uuid']}," for t in fax.get("tags", [])),
        "users": "," + "".join(f"{u['userId']}," for u in fax.get("users", [])),
        "data": json.dumps(fax),
    }


def insert_fax(
    conn: sqlite3.Connection, fax: dict, plan: dict, next_event_at: float | None
) -> None:
    cols = _columns(fax)
    conn.execute(
        "INSERT INTO faxes (message_id, account_id, direction, created_at, status, is_archived, "
        "search, tags, users, data, plan, next_event_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            fax["messageId"],
            fax["accountId"],
            fax["direction"],
            fax["createdAt"],
            cols["status"],
            cols["is_archived"],
            cols["search"],
            cols["tags"],
            cols["users"],
            cols["data"],
            json.dumps(plan),
            next_event_at,
        ),
    )


def update_fax(
    conn: sqlite3.Connection, fax: dict, plan: dict, next_event_at: float | None
) -> None:
    cols = _columns(fax)
    conn.execute(
        "UPDATE faxes SET status = ?, is_archived = ?, search = ?, tags = ?, users = ?, data = ?, "
        "plan = ?, next_event_at = ? WHERE message_id = ?",
        (
            cols["status"],
            cols["is_archived"],
            cols["search"],
            cols["tags"],
            cols["users"],
            cols["data"],
            json.dumps(plan),
            next_event_at,
            fax["messageId"],
        ),
    )


def load_fax(conn: sqlite3.Connection, *, account_id: str, message_id: str) -> tuple[dict, dict]:
    """(fax, plan) of a fax of this account that was not deleted, else NotFound."""
    row = None
    if is_uuid(message_id):
        row = conn.execute(
            "SELECT data, plan FROM faxes WHERE message_id = ? AND account_id = ? AND deleted = 0",
            (message_id.lower(), account_id),
        ).fetchone()
    if row is None:
        raise NotFound(f"fax {message_id} not found")
    return json.loads(row["data"]), json.loads(row["plan"])


def store_documents(
    conn: sqlite3.Connection, message_id: str, attachments: list[Attachment]
) -> None:
    for ordinal, attachment in enumerate(attachments):
        sha = hashlib.sha256(attachment.data).hexdigest()
        conn.execute(
            "INSERT OR IGNORE INTO blobs (sha256, content) VALUES (?, ?)", (sha, attachment.data)
        )
        conn.execute(
            "INSERT INTO documents (message_id, ordinal, filename, kind, pages, sha256) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (message_id, ordinal, attachment.filename, attachment.kind, attachment.pages, sha),
        )


def load_documents(conn: sqlite3.Connection, message_id: str) -> list[Attachment]:
    rows = conn.execute(
        "SELECT d.filename, d.kind, d.pages, b.content FROM documents d "
        "JOIN blobs b ON b.sha256 = d.sha256 WHERE d.message_id = ? ORDER BY d.ordinal",
        (message_id,),
    ).fetchall()
    return [Attachment(r["filename"], r["kind"], r["pages"], bytes(r["content"])) for r in rows]


# --- sending --------------------------------------------------------------------------------------
def default_caller_id(conn: sqlite3.Connection, account_id: str) -> str:
    numbers = active_numbers(conn, account_id)
    return numbers[0]["number"] if numbers else "5094570000"


def cover_tokens(
    spec_fields: dict, *, recipient: str, caller_id: str, pages: int, when: float
) -> dict:
    try:
        pretty = phonenumbers.format_number(
            phonenumbers.parse(recipient), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        pretty = recipient
    return {
        "recipientName": spec_fields.get("recipientName") or "",
        "senderName": spec_fields.get("senderName") or "",
        "recipientFax": pretty,
        "callerId": caller_id,
        "subject": spec_fields.get("subject") or "",
        "date": datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d"),
        "pages": str(pages),
        "notes": spec_fields.get("notes") or "",
    }


def create_outbound(
    conn: sqlite3.Connection,
    core: SandboxCore,
    *,
    spec: SendSpec,
    recipient: Recipient,
    e164: str,
    region: str,
    now: float,
    documents_from: str | None = None,
) -> dict:
    """Insert one outbound fax (processing, or scheduled) and its documents; return it."""
    account_id = core.account_id
    message_id = str(uuid.uuid4())
    fax = _blank_fax(
        message_id=message_id, account_id=account_id, direction="outbound", created=now
    )
    caller_id = spec.fields.get("callerId") or default_caller_id(conn, account_id)
    pages = spec.pages
    fax.update(
        pagesCount=pages,
        faxNumber=e164,
        faxCsid=OUTBOUND_CSID,
        faxCallerId=caller_id,
        recipientName=spec.fields.get("recipientName"),
        subject=spec.fields.get("subject"),
        country=region,
        users=[people.fax_user(people.api_user_id(account_id), account_id)],
        tags=[{"uuid": t, "name": t} for t in spec.tags],
        contacts=[recipient.contact] if recipient.contact else [],
        cf=spec.cf,
    )
    plan = {
        "outcome": outcome_for(e164),
        "fields": spec.fields,
        "cover": None,
    }
    if spec.cover_id:
        when = spec.scheduled_at or now
        tokens = cover_tokens(
            spec.fields, recipient=e164, caller_id=caller_id, pages=pages, when=when
        )
        plan["cover"] = {"id": spec.cover_id, "tokens": tokens}
    if spec.scheduled_at:
        _set_status(fax, "scheduled")
        fax["scheduledDate"] = iso(spec.scheduled_at)
        next_event_at = spec.scheduled_at
    else:
        next_event_at = now + T_PROCESS / core.speed
    insert_fax(conn, fax, plan, next_event_at)
    if documents_from:
        conn.execute(
            "INSERT INTO documents (message_id, ordinal, filename, kind, pages, sha256) "
            "SELECT ?, ordinal, filename, kind, pages, sha256 FROM documents WHERE message_id = ?",
            (message_id, documents_from),
        )
    else:
        store_documents(conn, message_id, spec.attachments)
    return fax


def send(conn, core: SandboxCore, *, spec: SendSpec, now: float, documents_from=None) -> dict:
    """Create one fax per recipient; answers {success: [faxes], errors: [per-recipient errors]}."""
    success, errors = [], []
    for recipient in spec.recipients:
        try:
            e164, region = normalise_destination(recipient.raw)
        except InvalidInput as exc:
            errors.append(
                {"error": f"InvalidInputError: {exc.message}", "recipientFax": recipient.raw}
            )
            continue
        success.append(
            create_outbound(
                conn,
                core,
                spec=spec,
                recipient=recipient,
                e164=e164,
                region=region,
                now=now,
                documents_from=documents_from,
            )
        )
    return {"success": success, "errors": errors}


# --- lifecycle ------------------------------------------------------------------------------------
def advance(
    fax: dict, plan: dict, *, due: float, now: float, speed: float
) -> tuple[str, float | None]:
    """Move an outbound fax one step along its lifecycle.

    Returns the webhook event name and when the next step is due (None once terminal).
    """
    status = fax["status"]
    outcome = plan.get("outcome", "success")
    if status == "scheduled":
        _set_status(fax, "processing")
        return "fax.outbound.extended", due + T_PROCESS / speed
    if status == "processing":
        _set_status(fax, "transmitting")
        seed = _digest(fax["messageId"])
        fax["pagesComplete"] = 0
        fax["faxAttempt"] = 1
        fax["deliveryId"] = str(2180614133420000000 + seed % 10**12)
        fax["messageNumber"] = str(8900000 + seed % 100000)
        first = T_DIAL + (T_PAGE if outcome == "success" else 0)
        return "fax.outbound.extended", due + first / speed
    if status == "transmitting":
        if outcome != "success":
            _fill_failure(fax, FAILURES[outcome], now)
            return "fax.outbound", None
        if fax["pagesComplete"] < fax["pagesCount"]:
            fax["pagesComplete"] += 1
            more = fax["pagesComplete"] < fax["pagesCount"]
            return "fax.outbound.extended", due + (T_PAGE if more else T_HANGUP) / speed
        _fill_success(fax, now)
        return "fax.outbound", None
    return "fax.outbound", None  # terminal faxes never move


# --- fax operations -------------------------------------------------------------------------------
def cancel(conn, *, account_id: str, message_id: str) -> dict:
    fax, plan = load_fax(conn, account_id=account_id, message_id=message_id)
    if fax["direction"] != "outbound":
        raise InvalidInput("inbound faxes cannot be cancelled")
    if fax["status"] not in ("processing", "scheduled"):
        raise InvalidInput(
            f"only processing or scheduled faxes can be cancelled; this one is {fax['status']}"
        )
    _set_status(fax, "cancelled")
    fax.update(resultCode=None, resultInfo=None, errorInfo=None, errorCode=None)
    update_fax(conn, fax, plan, None)
    return fax


def set_archived(conn, *, account_id: str, message_id: str, form: Form) -> dict:
    fax, plan = load_fax(conn, account_id=account_id, message_id=message_id)
    other = sorted(set(form.fields) - {"isArchived"}) + [f.field for f in form.files]
    if other:
        raise InvalidInput(f"only isArchived can be updated, not {', '.join(other)}")
    value = parse_bool("isArchived", form.get("isArchived"))
    if value is None:
        raise InvalidInput("isArchived is required (true or false)")
    fax["isArchived"] = value
    update_fax(conn, fax, plan, _next_event(conn, fax["messageId"]))
    return fax


def _next_event(conn, message_id: str) -> float | None:
    row = conn.execute(
        "SELECT next_event_at FROM faxes WHERE message_id = ?", (message_id,)
    ).fetchone()
    return row["next_event_at"] if row else None


def delete(conn, *, account_id: str, message_id: str, now: float) -> None:
    fax, plan = load_fax(conn, account_id=account_id, message_id=message_id)
    fax["deletedAt"] = iso(now)
    update_fax(conn, fax, plan, None)
    conn.execute("UPDATE faxes SET deleted = 1 WHERE message_id = ?", (fax["messageId"],))
    conn.execute("DELETE FROM documents WHERE message_id = ?", (fax["messageId"],))
    conn.execute("DELETE FROM blobs WHERE sha256 NOT IN (SELECT sha256 FROM documents)")


def resend(conn, core: SandboxCore, *, form: Form, now: float) -> dict:
    message_id = (form.get("messageId") or "").strip()
    if not message_id:
        raise InvalidInput("messageId is required")
    fax, plan = load_fax(conn, account_id=core.account_id, message_id=message_id)
    if fax["direction"] != "outbound":
        raise InvalidInput("only outbound faxes can be resent")
    if fax["status"] not in TERMINAL:
        raise InvalidInput(f"only completed faxes can be resent; this one is {fax['status']}")
    destinations = split_list(form.get("recipientFax"))
    if len(destinations) > 1:
        raise InvalidInput("recipientFax takes one number for a resend")
    spec = SendSpec(
        recipients=[
            Recipient(
                raw=destinations[0] if destinations else fax["faxNumber"],
                contact=None if destinations else (fax["contacts"] or [None])[0],
            )
        ],
        cover_id=(plan.get("cover") or {}).get("id"),
        fields=dict(plan.get("fields") or {}),
        cf=fax.get("cf") or {},
        tags=[t["uuid"] for t in fax.get("tags", [])],
    )
    spec.fields["callerId"] = fax["faxCallerId"]
    spec.copied_pages = conn.execute(
        "SELECT COALESCE(SUM(pages), 0) FROM documents WHERE message_id = ?", (fax["messageId"],)
    ).fetchone()[0]
    if not spec.copied_pages and not spec.cover_id:  # a seeded fax: placeholder pages
        spec.copied_pages = fax["pagesCount"] or 1
    return send(conn, core, spec=spec, now=now, documents_from=fax["messageId"])


# --- history --------------------------------------------------------------------------------------
def _date_bound(name: str, value: str, *, end: bool) -> str:
    try:
        moment = parse_iso(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a date like 2012-04-23: {exc}") from None
    if end and is_date_only(value):
        moment = day_after(moment)
    return iso(moment.timestamp())


def _national(text: str, digits: str) -> str:
    """The digits to look for: a North American number without its country code, as an
    inbound fax's sender is stored (`3125550199`); it is also inside the E.164 form."""
    if text.startswith("+1") or (len(digits) == 11 and digits.startswith("1")):
        return digits[1:]
    return digits


def history(conn, *, account_id: str, query: Form) -> dict:
    check_account(query.get("accountId"), account_id)
    offset = parse_int("offset", query.get("offset"), 0, 0, None)
    limit = parse_int("limit", query.get("limit"), 10, 1, 500)
    direction = (query.get("direction") or "all").strip().lower()
    if direction not in ("all", "inbound", "outbound"):
        raise InvalidInput(f"direction must be all, inbound or outbound, not '{direction}'")
    status = (query.get("status") or "all").strip().lower()
    if status not in HISTORY_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(HISTORY_STATUSES)}, not '{status}'")
    where, args = ["account_id = ?", "deleted = 0"], [account_id]
    if direction != "all":
        where.append("direction = ?")
        args.append(direction)
    if HISTORY_STATUSES[status]:
        statuses = HISTORY_STATUSES[status]
        where.append(f"status IN ({','.join('?' * len(statuses))})")
        args += statuses
    if query.get("fromDate"):
        where.append("created_at >= ?")
        args.append(_date_bound("fromDate", query.get("fromDate"), end=False))
    if query.get("toDate"):
        bound = _date_bound("toDate", query.get("toDate"), end=True)
        where.append("created_at < ?" if is_date_only(query.get("toDate")) else "created_at <= ?")
        args.append(bound)
    if query.get("userId"):
        where.append("users LIKE ? ESCAPE '\\'")
        args.append(_like("," + query.get("userId").strip().lower() + ","))
    text = (query.get("query") or "").strip().lower()
    if text:
        digits = re.sub(r"\D", "", text)
        if len(digits) >= 3 and re.fullmatch(r"[\d\s()+.-]+", text) and digits != text:
            where.append("(search LIKE ? ESCAPE '\\' OR search LIKE ? ESCAPE '\\')")
            args += [_like(text), _like(_national(text, digits))]
        elif len(digits) == 11 and digits == text and digits.startswith("1"):
            where.append("(search LIKE ? ESCAPE '\\' OR search LIKE ? ESCAPE '\\')")
            args += [_like(text), _like(digits[1:])]
        else:
            where.append("search LIKE ? ESCAPE '\\'")
            args.append(_like(text))
    tags = split_list(query.get("tags"))
    if tags:
        where.append("(" + " OR ".join(["tags LIKE ? ESCAPE '\\'"] * len(tags)) + ")")
        args += [_like("," + t + ",") for t in tags]
    archived = parse_bool("isArchived", query.get("isArchived"))
    if archived is not None:
        where.append("is_archived = ?")
        args.append(int(archived))
    include = {i.lower() for i in split_list(query.get("include"))}
    if include - {"tags", "contacts"}:
        raise InvalidInput("include accepts tags and/or contacts")
    clause = " AND ".join(where)
    count = conn.execute(f"SELECT COUNT(*) FROM faxes WHERE {clause}", args).fetchone()[0]  # noqa: S608
    rows = conn.execute(
        f"SELECT data FROM faxes WHERE {clause} "  # noqa: S608
        "ORDER BY created_at DESC, seq DESC LIMIT ? OFFSET ?",
        [*args, limit, offset],
    ).fetchall()
    faxes = []
    for row in rows:
        fax = json.loads(row["data"])
        for key in ("tags", "contacts"):
            if key not in include:
                fax[key] = []
        faxes.append(fax)
    return {"count": str(count), "rows": faxes, "query": {"limit": limit, "offset": offset}}


# --- inbound and seeded faxes ---------------------------------------------------------------------
CSIDS = ("Northside Clinic", "ACME SUPPLIES", "County Records", "", "HP LaserJet", "Law Office")


def random_sender(rng: random.Random) -> str:
    while True:
        npa = rng.choice(("212", "312", "415", "617", "713", "206"))
        e164 = f"+1{npa}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(e164)):
            return e164


def inbound_fax(
    *, account_id: str, number_row, sender: str, csid: str, pages: int, now: float, message_id: str
) -> dict:
    fax = _blank_fax(message_id=message_id, account_id=account_id, direction="inbound", created=now)
    users = json.loads(number_row["users"])
    fax.update(
        pagesCount=pages,
        pagesComplete=pages,
        faxNumber="+1" + number_row["number"],
        faxCallerId=ten_digits(sender),
        faxCsid=csid,
        users=[people.fax_user(u, account_id) for u in users],
        deliveryId=str(2180614133420000000 + _digest(message_id) % 10**12),
        messageNumber=str(8900000 + _digest(message_id) % 100000),
    )
    _fill_success(fax, now)
    return fax


def seed_rows(
    numbers: list[sqlite3.Row],
    *,
    account_id: str,
    count: int,
    days: float,
    now: float,
    rng,
    correspondents: Sequence[tuple[str, str]] = (),
) -> list[tuple]:
    """Rows of `count` terminal faxes spread over the past `days` days on `numbers`; two
    in three with one of the `correspondents` (number, CSID) when there are any.

    Built outside the store lock; `insert_seed_rows` writes them in one transaction.
    """
    own = ["+1" + r["number"] for r in numbers] or ["+15094570000"]
    users_by_number = {"+1" + r["number"]: json.loads(r["users"]) for r in numbers}
    api_user = people.fax_user(people.api_user_id(account_id), account_id)
    failures = list(FAILURES)
    rows = []
    for _ in range(count):
        created = now - rng.random() * days * 86400 - 60
        message_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        direction = "inbound" if rng.random() < 0.5 else "outbound"
        fax = _blank_fax(
            message_id=message_id, account_id=account_id, direction=direction, created=created
        )
        pages = rng.choice((1, 1, 1, 2, 2, 3, 4, 6, 10))
        ours = rng.choice(own)
        other, csid = random_sender(rng), rng.choice(CSIDS)
        if correspondents and rng.random() < 2 / 3:
            other, csid = rng.choice(correspondents)
        fax["pagesCount"] = pages
        fax["deliveryId"] = str(2180614133420000000 + _digest(message_id) % 10**12)
        fax["messageNumber"] = str(8900000 + _digest(message_id) % 100000)
        resolved = created + 30 + pages * 25
        if direction == "inbound":
            fax.update(
                faxNumber=ours,
                faxCallerId=ten_digits(other),
                faxCsid=csid,
                pagesComplete=pages,
                users=[people.fax_user(u, account_id) for u in users_by_number.get(ours, [])],
            )
            _fill_success(fax, resolved)
        else:
            fax.update(
                faxNumber=other,
                faxCallerId=ten_digits(ours),
                faxCsid=OUTBOUND_CSID,
                users=[api_user],
                recipientName=rng.choice((None, "Records Dept", "Dr. Lee", "Billing")),
                subject=rng.choice((None, "Referral", "Invoice", "Signed contract")),
            )
            roll = rng.random()
            if roll < 0.8:
                fax["pagesComplete"] = pages
                _fill_success(fax, resolved)
            elif roll < 0.95:
                _fill_failure(fax, FAILURES[rng.choice(failures)], resolved)
            else:
                _set_status(fax, "cancelled")
                fax.update(resultCode=None, resultInfo=None)
        cols = _columns(fax)
        rows.append(
            (
                message_id,
                account_id,
                direction,
                fax["createdAt"],
                cols["status"],
                0,
                cols["search"],
                cols["tags"],
                cols["users"],
                cols["data"],
                json.dumps({"seeded": True}),
                None,
            )
        )
    return rows


def insert_seed_rows(conn: sqlite3.Connection, rows: list[tuple]) -> None:
    conn.executemany(
        "INSERT INTO faxes (message_id, account_id, direction, created_at, status, is_archived, "
        "search, tags, users, data, plan, next_event_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )


def fax_counts(conn, account_id: str) -> dict:
    rows = conn.execute(
        "SELECT direction, status, COUNT(*) AS n FROM faxes WHERE account_id = ? AND deleted = 0 "
        "GROUP BY direction, status",
        (account_id,),
    ).fetchall()
    counts = {"total": 0, "inbound": 0, "outbound": 0, "byStatus": {}}
    for row in rows:
        counts["total"] += row["n"]
        counts[row["direction"]] += row["n"]
        counts["byStatus"][row["status"]] = counts["byStatus"].get(row["status"], 0) + row["n"]
    deleted = conn.execute(
        "SELECT COUNT(*) FROM faxes WHERE account_id = ? AND deleted = 1", (account_id,)
    ).fetchone()[0]
    counts["deleted"] = deleted
    return counts
