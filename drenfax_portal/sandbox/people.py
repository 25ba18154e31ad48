"""Accounts, users and contacts as the provider shows them, derived from their UUIDs.

The reference has no endpoints that create users or contacts, so the sandbox takes any
well-formed UUID as a user of the account and invents a stable name and e-mail for it; the
account has a few fixed contacts (listed by `GET /_sandbox/contacts`).
"""

from __future__ import annotations

import uuid

_FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Dennis", "Frances")
_LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Ritchie")

ACCOUNT_NAME = "Drenfax Sandbox"


def _seed(value: str) -> int:
    return uuid.UUID(value).int


def account_number(account_id: str) -> str:
    return "12" + f"{_seed(account_id) % 10**8:08d}"


def account_object(account_id: str, *, own_account_id: str) -> dict:
    """The `owner` / `manager` / `account` object of the reference."""
    name = ACCOUNT_NAME if account_id == own_account_id else f"Account {account_id[:8]}"
    return {
        "uuid": account_id,
        "accountNumber": account_number(account_id),
        "accountName": name,
        "accountType": "customer",
        "supportCode": account_number(account_id),
        "companyName": name,
    }


def _names(user_id: str) -> tuple[str, str, str]:
    seed = _seed(user_id)
    first = _FIRST[seed % len(_FIRST)]
    last = _LAST[(seed // len(_FIRST)) % len(_LAST)]
    email = f"{first}.{last}.{user_id[:4]}@example.com".lower()
    return first, last, email


def number_user(user_id: str, account_id: str) -> dict:
    """A user as listed on a fax number."""
    first, last, email = _names(user_id)
    return {
        "userId": user_id,
        "accountId": account_id,
        "email": email,
        "firstName": first,
        "lastName": last,
        "avatarUrl": None,
    }


def fax_user(user_id: str, account_id: str) -> dict:
    """A user as listed on a fax."""
    first, last, email = _names(user_id)
    return {
        "avatarPath": None,
        "userId": user_id,
        "uuid": user_id,
        "email": email,
        "firstName": first,
        "lastName": last,
        "accountId": account_id,
        "avatar": None,
        "UserFax": {"viewStatus": True, "downloadStatus": True},
    }


def api_user_id(account_id: str) -> str:
    """The user that owns the API key: outbound faxes sent through the API list it."""
    return str(uuid.uuid5(uuid.UUID(account_id), "api-user"))


_CONTACTS = (
    ("Northside Clinic", "+12125550142"),
    ("Acme Supplies Billing", "+13125550178"),
    ("County Records Office", "+17135550119"),
    ("Always Busy Pharmacy", "+12065550001"),
    ("Old Modem Line", "+16175550003"),
)


def contacts(account_id: str) -> list[dict]:
    """The account's contacts: their ids are stable for a given account id."""
    return [
        {
            "uuid": str(uuid.uuid5(uuid.UUID(account_id), f"contact-{i}")),
            "name": name,
            "faxNumber": number,
            "accountId": account_id,
        }
        for i, (name, number) in enumerate(_CONTACTS)
    ]
