"""The notification emails: a fax's metadata and a link to the portal, never the document
unless `NOTIFY_ATTACH_DOCUMENTS` allows it (an emailed copy escapes the portal's access rule,
deletion and audit trail); digests never carry one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from drenfax_portal.accounts.services import profile_for
from drenfax_portal.client import DrenfaxClient, DrenfaxError
from drenfax_portal.notifications.models import Notification
from fax_numbers.phone import format_national
from faxes.models import Fax
from faxes.services.actions import fax_fetch_pdf
from faxes.services.documents import open_document

log = logging.getLogger(__name__)

# Bigger documents stay in the portal even when attaching is allowed (mail servers refuse
# messages of a few tens of megabytes, and base64 adds a third).
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
HEADERS = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}


def portal_url(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def one_line(text: str, limit: int = 150) -> str:
    """A header-safe subject: provider text (CSID, subject) may hold newlines."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _phone(value: str) -> str:
    return format_national(value) if value else ""


def fax_subject(fax: Fax, event: str) -> str:
    if event == Notification.Event.FAILED:
        return f"Fax to {_phone(fax.fax_number)} failed: {fax.reason}"
    sender = _phone(fax.fax_caller_id) or fax.fax_csid or "an unknown sender"
    pages = fax.pages_complete
    counted = f" ({pages} page{'s' if pages != 1 else ''})" if pages else ""
    return f"New fax from {sender} to {_phone(fax.fax_number)}{counted}"


def _message(
    user: AbstractBaseUser, subject: str, template: str, **context: object
) -> EmailMessage:
    """An email to the user, its body rendered in their time zone."""
    context |= {
        "user": user,
        "preferences_url": portal_url(reverse("notifications:preferences")),
        "home_url": portal_url(reverse("home")),
    }
    with timezone.override(profile_for(user).tzinfo):
        body = render_to_string(f"notifications/email/{template}", context)
    to = [user.email]  # type: ignore[attr-defined]
    return EmailMessage(subject=one_line(subject), body=body, to=to, headers=HEADERS)


def fax_email(notification: Notification, *, client: DrenfaxClient | None = None) -> EmailMessage:
    """The email for one notification."""
    fax = notification.fax
    attachment, attachment_note = None, ""
    if settings.NOTIFY_ATTACH_DOCUMENTS:
        attachment, attachment_note = _document(fax, client)
    inbound = notification.event == Notification.Event.INBOUND
    message = _message(
        notification.user,
        fax_subject(fax, notification.event),
        "fax_inbound.txt" if inbound else "fax_failed.txt",
        fax=fax,
        fax_url=_fax_url(fax),
        attached=attachment is not None,
        attachment_note=attachment_note,
    )
    if attachment is not None:
        message.attach(f"fax-{fax.message_id}.pdf", attachment, "application/pdf")
    return message


def digest_email(user: AbstractBaseUser, notifications: Sequence[Notification]) -> EmailMessage:
    """One email listing the waiting notifications (never with documents)."""
    received = [n for n in notifications if n.event == Notification.Event.INBOUND]
    failed = [n for n in notifications if n.event == Notification.Event.FAILED]
    parts = []
    if received:
        parts.append(f"{len(received)} fax{'es' if len(received) != 1 else ''} received")
    if failed:
        parts.append(f"{len(failed)} failed")
    return _message(
        user,
        f"Your daily fax digest: {', '.join(parts)}",
        "digest.txt",
        received=[(n.fax, _fax_url(n.fax)) for n in received],
        failed=[(n.fax, _fax_url(n.fax)) for n in failed],
    )


def _fax_url(fax: Fax) -> str:
    return portal_url(reverse("faxes:detail", args=[fax.message_id]))


def _document(fax: Fax, client: DrenfaxClient | None) -> tuple[bytes | None, str]:
    """The fax's PDF for an attachment, or None and a sentence saying why not."""
    if not fax.pdf_path:  # another recipient's email may have fetched it meanwhile
        fax.refresh_from_db(fields=["pdf_path", "is_file_purged"])
    if not fax.pdf_path:
        if fax.is_file_purged:
            return None, "The provider has purged the document; it cannot be attached."
        if client is None:
            return None, "The document is not attached (it was not downloaded yet)."
        try:
            fax_fetch_pdf(client=client, fax=fax)
        except DrenfaxError as exc:
            log.warning("attaching fax %s: %s", fax.message_id, exc)
            return None, "The document could not be fetched from Drenfax to attach it."
    try:
        with open_document(fax.pdf_path) as handle:
            data = handle.read(MAX_ATTACHMENT_BYTES + 1)
    except FileNotFoundError:
        return None, "The stored document is missing; it is not attached."
    if len(data) > MAX_ATTACHMENT_BYTES:
        return None, "The document is too large to attach."
    return data, ""
