"""Writes to the contacts book, each audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from contacts.models import Contact
from drenfax_portal.audit.services import audit_record

FIELDS = ("name", "organisation", "fax_number", "notes", "tags")


def contact_create(*, user: AbstractBaseUser, **fields: str) -> Contact:
    contact = Contact.objects.create(created_by=user, **fields)
    audit_record("contact.created", target=contact, user=user, details={"name": contact.name})
    return contact


def contact_update(*, contact: Contact, user: AbstractBaseUser, changed: Sequence[str]) -> None:
    """Save a contact a form has changed (`changed`: the fields it changed)."""
    contact.save()
    audit_record("contact.changed", target=contact, user=user, details={"fields": list(changed)})


def contact_delete(*, contact: Contact, user: AbstractBaseUser) -> None:
    audit_record("contact.deleted", target=contact, user=user, details={"name": contact.name})
    contact.delete()


@dataclass(frozen=True)
class ImportedContact:
    """One valid row of an import: the fields of a contact, its number in E.164."""

    name: str
    organisation: str
    fax_number: str
    notes: str
    tags: str


@transaction.atomic
def contacts_import(
    *, rows: Sequence[ImportedContact], user: AbstractBaseUser, filename: str
) -> tuple[int, int]:
    """Add the rows' contacts; a number already in the book has its contact updated instead.
    Returns (added, updated)."""
    existing = Contact.objects.select_for_update().in_bulk(
        [row.fax_number for row in rows], field_name="fax_number"
    )
    now = timezone.now()
    added: list[Contact] = []
    updated: list[Contact] = []
    for row in rows:
        values = {name: getattr(row, name) for name in FIELDS}
        if contact := existing.get(row.fax_number):
            for name, value in values.items():
                setattr(contact, name, value)
            contact.updated_at = now  # bulk_update does not apply auto_now
            updated.append(contact)
        else:
            added.append(Contact(created_by=user, **values))
    Contact.objects.bulk_create(added, batch_size=500)
    Contact.objects.bulk_update(updated, [*FIELDS, "updated_at"], batch_size=500)
    audit_record(
        "contact.imported",
        user=user,
        details={"file": filename, "added": len(added), "updated": len(updated)},
    )
    return len(added), len(updated)
