"""What a user can do to a fax: archive, cancel, delete, fetch its document.

Each goes through the API client first; the cache and the timeline change only when the
provider said yes, so an API failure leaves everything as it was.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from drenfax_portal.client import DrenfaxClient
from faxes.models import Fax, FaxEvent
from faxes.services.cache import fax_merge_payloads
from faxes.services.documents import delete_document, fax_set_pdf, fetch_document


def _user_event(fax: Fax, user: AbstractBaseUser, note: str) -> None:
    FaxEvent.objects.create(
        fax=fax, source=FaxEvent.Source.USER, status=fax.status, user=user, note=note
    )


def fax_set_archived(
    *, client: DrenfaxClient, fax: Fax, user: AbstractBaseUser, archived: bool
) -> Fax:
    """Archive or unarchive a fax at the provider, then in the cache."""
    result = client.update_fax(str(fax.message_id), is_archived=archived)
    with transaction.atomic():
        fax_merge_payloads([result.raw], source=FaxEvent.Source.USER, skip_invalid=True)
        # The provider's answer may omit the flag; what we asked for is what it now holds.
        Fax.objects.filter(pk=fax.pk).update(is_archived=archived, updated_at=timezone.now())
        fax.refresh_from_db()
        _user_event(fax, user, "archived" if archived else "unarchived")
    return fax


def fax_cancel(*, client: DrenfaxClient, fax: Fax, user: AbstractBaseUser) -> Fax:
    """Cancel a scheduled or processing fax."""
    result = client.cancel_fax(str(fax.message_id))
    with transaction.atomic():
        fax_merge_payloads([result.raw], source=FaxEvent.Source.USER, skip_invalid=True)
        fax.refresh_from_db()
        _user_event(fax, user, "cancel requested")
    return fax


def fax_delete(*, client: DrenfaxClient, fax: Fax, user: AbstractBaseUser) -> None:
    """Delete a fax at the provider; the cache keeps a hidden tombstone for the audit trail."""
    client.delete_fax(str(fax.message_id))
    with transaction.atomic():
        Fax.objects.filter(pk=fax.pk).update(
            deleted_at=timezone.now(), pdf_path="", updated_at=timezone.now()
        )
        _user_event(fax, user, "deleted")
    if fax.pdf_path:
        delete_document(fax.pdf_path)


def fax_fetch_pdf(*, client: DrenfaxClient, fax: Fax) -> str:
    """Download a fax's document once and keep it locally; returns its stored path."""
    return fax_set_pdf(fax, fetch_document(client, fax.message_id))
