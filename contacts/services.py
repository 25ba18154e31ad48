"""Writes to the contacts book, each audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from contacts.models import Contact
from drenfax_portal.audit.services import audit_record

FIELDS = ("name", "organisation", "fax_number", "notes", "tags")


class NumberTaken(ValueError):
    """Another contact got this fax number meanwhile (after the form checked it)."""


@transaction.atomic
def contact_create(*, user: AbstractBaseUser, **fields: str) -> Contact:
    try:
        with transaction.atomic():
            contact = Contact.objects.create(created_by=user, **fields)
    except IntegrityError as exc:
        raise NumberTaken(fields["fax_number"]) from exc
    audit_record("contact.created", target=contact, user=user, details={"name": contact.name})
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, user: AbstractBaseUser, changed: Sequence[str]) -> None:
    """Save a contact a form has changed (`changed`: the fields it changed)."""
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError as exc:
        raise NumberTaken(contact.fax_number) from exc
    audit_record("contact.changed", target=contact, user=user, details={"fields": list(changed)})


def contact_delete(*, contact: Contact, user: AbstractBaseUser) -> None:
    audit_record("contact.deleted", target=contact, user=user, details={"name": contact.name})
    contact.delete()


@dataclass(frozen=True)
class ImportedContact:
    """One valid row of an import: the fields of a contact, its number in E.164; None for a
    column the list does not have."""

    name: str
    organisation: str | None
    fax_number: str
    notes: str | None
    tags: str | None


@transaction.atomic
def contacts_import(
    *, rows: Sequence[ImportedContact], user: AbstractBaseUser, filename: str
) -> tuple[int, int]:
    """Add the rows' contacts; a number already in the book has its contact updated instead,
    in the columns the list has. Returns (added, updated)."""
    columns = [name for name in FIELDS if rows and getattr(rows[0], name) is not None]
    existing = Contact.objects.select_for_update().in_bulk(
        [row.fax_number for row in rows], field_name="fax_number"
    )
    now = timezone.now()
    added: list[Contact] = []
    updated: list[Contact] = []
    for row in rows:
        values = {name: getattr(row, name) for name in columns}
        if contact := existing.get(row.fax_number):
            for name, value in values.items():
                setattr(contact, name, value)
            contact.updated_at = now  # bulk_update does not apply auto_now
            updated.append(contact)
        else:
            added.append(Contact(created_by=user, **values))
    # A number another import added meanwhile (the lock above cannot hold rows that did not
    # exist yet) is updated, not refused by the unique constraint.
    changed = [name for name in columns if name != "fax_number"]
    Contact.objects.bulk_create(
        added,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["fax_number"],
        update_fields=[*changed, "updated_at"],
    )
    Contact.objects.bulk_update(updated, [*changed, "updated_at"], batch_size=500)
    audit_record(
        "contact.imported",
        user=user,
        details={"file": filename, "added": len(added), "updated": len(updated)},
    )
    return len(added), len(updated)
