"""Fax numbers: a generated inventory, search, provisioning, the account's numbers.

The inventory is deterministic (the same for every sandbox): local numbers in twelve US cities
over eighteen area codes, each with a rate center, state and ZIP code, plus toll-free numbers
(800, 833, 844, 855, 866, 877, 888). A number is available unless some account owns it; a
released number stays with its account as `pending` for 30 days, then returns to the inventory.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import uuid
from dataclasses import dataclass
from functools import cache

import phonenumbers

from . import people
from .clock import iso
from .errors import Forbidden, InvalidInput, NotFound
from .request import Form, is_uuid, parse_int, parse_json, parse_uuid, split_list

PENDING_DAYS = 30
SEARCH_MEMORY_SECONDS = 24 * 3600
MAX_PROVISION = 1000
MAX_SEARCH_LIMIT = 1000

CITIES = (
    ("NY", "NEW YORK", ("212", "646"), ("10001", "10016", "10036")),
    ("CA", "LOS ANGELES", ("213", "310"), ("90012", "90028", "90210")),
    ("IL", "CHICAGO", ("312", "773"), ("60601", "60611", "60614")),
    ("TX", "HOUSTON", ("713", "281"), ("77002", "77019", "77056")),
    ("WA", "SEATTLE", ("206",), ("98101", "98109")),
    ("WA", "SPOKANE", ("509",), ("99201", "99205")),
    ("NV", "LAS VEGAS", ("702",), ("89101", "89109")),
    ("MO", "SAINT LOUIS", ("314",), ("63101", "63108")),
    ("WI", "GREEN BAY", ("920",), ("54301", "54304")),
    ("FL", "MIAMI", ("305", "786"), ("33101", "33130")),
    ("MA", "BOSTON", ("617",), ("02108", "02116")),
    ("CO", "DENVER", ("303", "720"), ("80202", "80205")),
)
TOLL_FREE_NPAS = ("800", "833", "844", "855", "866", "877", "888")
TOLL_FREE_CENTER = "TOLL FREE"


@dataclass(frozen=True)
class InventoryNumber:
    e164: str
    npa: str
    nxx: str
    state: str
    rate_center: str
    zipcode: str
    toll_free: bool
    preferable: bool

    @property
    def digits(self) -> str:
        return self.e164[2:]

    def search_result(self) -> dict:
        return {
            "number_e164": self.e164,
            "regional_data": {
                "country_iso": "US",
                "rate_center": self.rate_center,
                "state": self.state,
            },
            "preferable": self.preferable,
        }


def _exchanges(rng: random.Random, count: int) -> list[str]:
    result: list[str] = []
    while len(result) < count:
        nxx = str(rng.randint(200, 999))
        if nxx[1:] == "11" or nxx in ("555", "950", "958", "959", "976") or nxx in result:
            continue
        result.append(nxx)
    return result


@cache
def inventory() -> tuple[InventoryNumber, ...]:
    """Every number the sandbox can sell, in a fixed order (computed once per process)."""
    numbers: list[InventoryNumber] = []
    plan = [(state, center, npa, zips, 3) for state, center, npas, zips in CITIES for npa in npas]
    plan += [("", TOLL_FREE_CENTER, npa, ("",), 2) for npa in TOLL_FREE_NPAS]
    for state, center, npa, zips, exchanges in plan:
        rng = random.Random(f"drenfax-inventory-{npa}")
        for nxx in _exchanges(rng, exchanges):
            for i, line in enumerate(sorted(rng.sample(range(10000), 24))):
                e164 = f"+1{npa}{nxx}{line:04d}"
                if not phonenumbers.is_valid_number(phonenumbers.parse(e164)):
                    continue
                numbers.append(
                    InventoryNumber(
                        e164=e164,
                        npa=npa,
                        nxx=nxx,
                        state=state,
                        rate_center=center,
                        zipcode=zips[i % len(zips)],
                        toll_free=center == TOLL_FREE_CENTER,
                        preferable=rng.random() < 0.3,
                    )
                )
    return tuple(numbers)


@cache
def _by_e164() -> dict[str, InventoryNumber]:
    return {n.e164: n for n in inventory()}


def _taken(conn: sqlite3.Connection) -> set[str]:
    return {"+1" + row["number"] for row in conn.execute("SELECT number FROM numbers")}


def purge_expired(conn: sqlite3.Connection, now: float) -> None:
    """Released numbers whose pending period ended go back to the inventory."""
    conn.execute(
        "DELETE FROM numbers WHERE pending_until IS NOT NULL AND pending_until <= ?", (now,)
    )


# --- search ---------------------------------------------------------------------------------------
def _normalise_city(value: str) -> str:
    text = re.sub(r"[^A-Z ]", " ", value.upper())
    text = re.sub(r"\bST\b", "SAINT", text)
    return " ".join(text.split())


def search(conn: sqlite3.Connection, *, account_id: str, query: Form, now: float) -> dict:
    npa = (query.get("npa") or "").strip()
    nxx = (query.get("nxx") or "").strip()
    state = (query.get("state") or "").strip().upper()
    city = (query.get("city") or "").strip()
    zipcode = (query.get("zipcode") or "").strip()
    limit = parse_int("limit", query.get("limit"), 10, 1, MAX_SEARCH_LIMIT)
    if not (npa or city or zipcode):
        raise InvalidInput("search needs at least one of npa, city or zipcode")
    for name, value, size in (("npa", npa, 3), ("nxx", nxx, 3), ("zipcode", zipcode, 5)):
        if value and not re.fullmatch(rf"[0-9]{{{size}}}", value):
            raise InvalidInput(f"{name} must be {size} digits, not '{value}'")
    if state and not re.fullmatch(r"[A-Z]{2}", state):
        raise InvalidInput(f"state must be a two-letter code, not '{state}'")
    wanted_city = _normalise_city(city) if city else ""
    purge_expired(conn, now)
    taken = _taken(conn)
    found = []
    for number in inventory():
        if number.e164 in taken:
            continue
        if (npa and number.npa != npa) or (nxx and number.nxx != nxx):
            continue
        if (state and number.state != state) or (zipcode and number.zipcode != zipcode):
            continue
        if wanted_city and number.rate_center != wanted_city:
            continue
        found.append(number)
        if len(found) >= limit:
            break
    conn.executemany(
        "INSERT INTO searches (account_id, number, searched_at) VALUES (?, ?, ?) "
        "ON CONFLICT (account_id, number) DO UPDATE SET searched_at = excluded.searched_at",
        [(account_id, n.e164, now) for n in found],
    )
    conn.execute("DELETE FROM searches WHERE searched_at < ?", (now - SEARCH_MEMORY_SECONDS,))
    return {"result": [n.search_result() for n in found], "limit": limit}


# --- the account's numbers ------------------------------------------------------------------------
def number_object(row: sqlite3.Row, *, own_account_id: str) -> dict:
    users = json.loads(row["users"])
    return {
        "uuid": row["uuid"],
        "number": row["number"],
        "pendingUntil": iso(row["pending_until"]) if row["pending_until"] else None,
        "ownedBy": row["account_id"],
        "managedBy": row["managed_by"],
        "createdAt": row["created_at"],
        "storage": row["storage"],
        "faxbridge": None,
        "users": [people.number_user(u, row["account_id"]) for u in users],
        "owner": people.account_object(row["account_id"], own_account_id=own_account_id),
        "manager": people.account_object(row["managed_by"], own_account_id=own_account_id),
    }


def check_account(value: str | None, account_id: str) -> None:
    """Optional `accountId` parameters must name this key's account."""
    if value is None or value.strip() == "":
        return
    wanted = parse_uuid("accountId", value)
    if wanted != account_id:
        raise Forbidden(f"account {wanted} is not accessible with this API key")


def list_numbers(conn: sqlite3.Connection, *, account_id: str, query: Form, now: float) -> dict:
    check_account(query.get("accountId"), account_id)
    kind = (query.get("type") or "").strip().lower()
    if kind not in ("", "available", "assigned", "pending"):
        raise InvalidInput(f"type must be available, assigned or pending, not '{kind}'")
    offset = parse_int("offset", query.get("offset"), 0, 0, None)
    limit = parse_int("limit", query.get("limit"), 30, 1, 1000)
    purge_expired(conn, now)
    where, args = ["account_id = ?"], [account_id]
    if kind == "pending":
        where.append("pending_until IS NOT NULL")
    elif kind == "available":
        where.append("pending_until IS NULL AND users = '[]'")
    elif kind == "assigned":
        where.append("pending_until IS NULL AND users != '[]'")
    text = (query.get("query") or "").strip()
    if text:
        digits = re.sub(r"\D", "", text)
        if digits and re.fullmatch(r"[\d\s()+.-]+", text):
            if text.startswith("+1") or (len(digits) == 11 and digits[0] == "1"):
                digits = digits[1:]
            where.append("number LIKE ?")
            args.append(f"%{digits}%")
        else:
            where.append("(uuid = ? OR users LIKE ?)")
            args += [text.lower(), f"%{text.lower()}%"]
    clause = " AND ".join(where)
    count = conn.execute(f"SELECT COUNT(*) FROM numbers WHERE {clause}", args).fetchone()[0]  # noqa: S608
    rows = conn.execute(
        f"SELECT * FROM numbers WHERE {clause} ORDER BY created_at, number LIMIT ? OFFSET ?",  # noqa: S608
        [*args, limit, offset],
    ).fetchall()
    return {
        "rows": [number_object(r, own_account_id=account_id) for r in rows],
        "count": count,
        "limit": limit,
        "offset": offset,
    }


def get_number_row(conn: sqlite3.Connection, *, account_id: str, number_id: str) -> sqlite3.Row:
    row = None
    if is_uuid(number_id):
        row = conn.execute(
            "SELECT * FROM numbers WHERE uuid = ? AND account_id = ?",
            (number_id.lower(), account_id),
        ).fetchone()
    if row is None:
        raise NotFound(f"number {number_id} not found")
    return row


def active_numbers(conn: sqlite3.Connection, account_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM numbers WHERE account_id = ? AND pending_until IS NULL "
        "ORDER BY created_at, number",
        (account_id,),
    ).fetchall()


def add_user(conn, *, account_id: str, number_id: str, user_id: str, now: float) -> dict:
    purge_expired(conn, now)
    row = get_number_row(conn, account_id=account_id, number_id=number_id)
    user = parse_uuid("userId", user_id)
    if row["pending_until"] is not None:
        raise InvalidInput(f"number {row['number']} is pending release; users cannot be added")
    users = json.loads(row["users"])
    if user not in users:
        users.append(user)
        conn.execute(
            "UPDATE numbers SET users = ? WHERE uuid = ?", (json.dumps(users), row["uuid"])
        )
    return _reload(conn, row["uuid"], account_id)


def remove_user(conn, *, account_id: str, number_id: str, user_id: str, now: float) -> None:
    purge_expired(conn, now)
    row = get_number_row(conn, account_id=account_id, number_id=number_id)
    user = parse_uuid("userId", user_id)
    users = json.loads(row["users"])
    if user not in users:
        raise NotFound(f"user {user} is not assigned to number {row['number']}")
    users.remove(user)
    conn.execute("UPDATE numbers SET users = ? WHERE uuid = ?", (json.dumps(users), row["uuid"]))


def _reload(conn, number_uuid: str, account_id: str) -> dict:
    row = conn.execute("SELECT * FROM numbers WHERE uuid = ?", (number_uuid,)).fetchone()
    return number_object(row, own_account_id=account_id)


def parse_storage(text: str) -> str | None:
    """Validate FTP/SFTP storage settings; answer them as the compact JSON string stored."""
    if not text.strip():
        return None
    data = parse_json("storage", text, kind="a JSON object")
    if not isinstance(data, dict):
        raise InvalidInput("storage must be a JSON object")
    allowed = ("protocol", "host", "outputDirPath", "password", "user", "port")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InvalidInput(
            f"storage has unknown keys: {', '.join(unknown)} (allowed: {', '.join(allowed)})"
        )
    protocol = data.get("protocol")
    if protocol not in ("ftp", "sftp"):
        raise InvalidInput("storage.protocol must be ftp or sftp")
    host = data.get("host")
    if not isinstance(host, str) or not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]{1,255}", host.strip()):
        raise InvalidInput("storage.host must be a host name or IP address")
    port = data.get("port", 21 if protocol == "ftp" else 22)
    if isinstance(port, str) and port.isascii() and port.isdigit():
        port = int(port)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise InvalidInput("storage.port must be an integer between 1 and 65535")
    for key in ("user", "password"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise InvalidInput(f"storage.{key} is required (a non-empty string)")
    path = data.get("outputDirPath", "/")
    if not isinstance(path, str):
        raise InvalidInput("storage.outputDirPath must be a string")
    clean = {
        "protocol": protocol,
        "host": host.strip(),
        "outputDirPath": path,
        "password": data["password"],
        "user": data["user"],
        "port": port,
    }
    return json.dumps(clean, separators=(",", ":"))


def update_settings(conn, *, account_id: str, number_id: str, form: Form, now: float) -> dict:
    purge_expired(conn, now)
    row = get_number_row(conn, account_id=account_id, number_id=number_id)
    if "storage" not in form and "managedBy" not in form:
        raise InvalidInput("nothing to update: send storage and/or managedBy")
    storage = row["storage"]
    managed_by = row["managed_by"]
    if "storage" in form:
        storage = parse_storage(form.get("storage") or "")
    if "managedBy" in form:
        managed_by = parse_uuid("managedBy", form.get("managedBy") or "")
    conn.execute(
        "UPDATE numbers SET storage = ?, managed_by = ? WHERE uuid = ?",
        (storage, managed_by, row["uuid"]),
    )
    return _reload(conn, row["uuid"], account_id)


def release(conn, *, account_id: str, number_id: str, now: float) -> dict:
    purge_expired(conn, now)
    row = get_number_row(conn, account_id=account_id, number_id=number_id)
    if row["pending_until"] is not None:
        raise InvalidInput(f"number {row['number']} is already pending release")
    conn.execute(
        "UPDATE numbers SET pending_until = ? WHERE uuid = ?",
        (now + PENDING_DAYS * 86400, row["uuid"]),
    )
    return _reload(conn, row["uuid"], account_id)


# --- provisioning ---------------------------------------------------------------------------------
def _insert(conn, *, account_id: str, e164: str, now: float, storage: str | None, uid=None) -> str:
    number_uuid = uid or str(uuid.uuid4())
    conn.execute(
        "INSERT INTO numbers (uuid, number, account_id, managed_by, created_at, storage, users) "
        "VALUES (?, ?, ?, ?, ?, ?, '[]')",
        (number_uuid, e164[2:], account_id, account_id, iso(now), storage),
    )
    return number_uuid


def provision(conn, *, account_id: str, form: Form, now: float) -> list[dict]:
    kind = (form.get("type") or "").strip().lower()
    if kind not in ("order", "local", "toll-free"):
        raise InvalidInput("type is required: order, local or toll-free")
    check_account(form.get("accountId"), account_id)
    storage = parse_storage(form.get("storage") or "")
    purge_expired(conn, now)
    taken = _taken(conn)
    if kind == "order":
        if form.get("quantity"):
            raise InvalidInput("quantity is for local and toll-free provisioning, not order")
        wanted = split_list(form.get("numbers"))
        if not wanted:
            raise InvalidInput("numbers is required for type=order (E.164, comma-separated)")
        if len(wanted) > MAX_PROVISION:
            raise InvalidInput(f"at most {MAX_PROVISION} numbers per call, not {len(wanted)}")
        if len(set(wanted)) != len(wanted):
            raise InvalidInput("numbers lists the same number twice")
        recent = {
            row["number"]
            for row in conn.execute(
                "SELECT number FROM searches WHERE account_id = ? AND searched_at >= ?",
                (account_id, now - SEARCH_MEMORY_SECONDS),
            )
        }
        for e164 in wanted:
            if not re.fullmatch(r"\+\d{8,15}", e164):
                raise InvalidInput(f"'{e164}' is not an E.164 number (like +12125550123)")
            if e164 not in recent:
                raise InvalidInput(
                    f"{e164} did not appear in a number search in the last 24 hours; "
                    "search for it first (GET /v1/numbers/provision/search)"
                )
            if e164 in taken or e164 not in _by_e164():
                raise InvalidInput(f"{e164} is no longer available")
        chosen = wanted
    else:
        if form.get("numbers"):
            raise InvalidInput("numbers is only for type=order")
        quantity = parse_int("quantity", form.get("quantity"), 1, 1, MAX_PROVISION)
        pool = [
            n.e164
            for n in inventory()
            if n.toll_free == (kind == "toll-free") and n.e164 not in taken
        ]
        if len(pool) < quantity:
            raise InvalidInput(f"only {len(pool)} {kind} numbers are available, not {quantity}")
        chosen = random.sample(pool, quantity)
    ids = [_insert(conn, account_id=account_id, e164=e, now=now, storage=storage) for e in chosen]
    conn.execute(
        f"DELETE FROM searches WHERE number IN ({','.join('?' * len(chosen))})",  # noqa: S608
        chosen,
    )
    return [_reload(conn, i, account_id) for i in ids]


def ensure_initial_numbers(conn, *, account_id: str, count: int, now: float) -> None:
    """Give a fresh account `count` numbers, the same ones for the same account id."""
    if count <= 0:
        return
    key = f"initial-numbers:{account_id}"
    if conn.execute("SELECT 1 FROM meta WHERE key = ?", (key,)).fetchone():
        return
    taken = _taken(conn)
    pool = [n for n in inventory() if not n.toll_free and n.e164 not in taken]
    rng = random.Random(account_id)
    for i, number in enumerate(rng.sample(pool, min(count, len(pool)))):
        uid = str(uuid.uuid5(uuid.UUID(account_id), f"initial-number-{number.e164}"))
        _insert(
            conn, account_id=account_id, e164=number.e164, now=now + i / 1000, storage=None, uid=uid
        )
    conn.execute("INSERT INTO meta (key, value) VALUES (?, '1')", (key,))


# --- validation -----------------------------------------------------------------------------------
def validate(query: Form) -> dict:
    number = (query.get("number") or "").strip()
    country = (query.get("country") or "").strip().upper()
    if not number:
        raise InvalidInput("number is required")
    if not country:
        raise InvalidInput("country is required (ISO 3166-1 alpha-2, like US)")
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(f"country must be an ISO 3166-1 alpha-2 code, not '{country}'")
    try:
        parsed = phonenumbers.parse(number, country)
    except phonenumbers.NumberParseException:
        return {"isValid": False}
    return {"isValid": phonenumbers.is_valid_number_for_region(parsed, country)}
