from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from contacts.models import Contact

SUGGESTIONS = 8


def contact_search(text: str) -> QuerySet[Contact]:
    """Contacts whose name, organisation, number or tags contain every word of `text`."""
    contacts = Contact.objects.all()
    # No contact holds a NUL, and PostgreSQL refuses one in a query's text.
    for word in text.replace("\x00", "").split():
        digits = "".join(ch for ch in word if ch.isdigit())
        match = Q(name__icontains=word) | Q(organisation__icontains=word)
        match |= Q(tags__icontains=word)
        if digits:
            match |= Q(fax_number__contains=digits)
        contacts = contacts.filter(match)
    return contacts


def contact_names(numbers: Iterable[str]) -> dict[str, Contact]:
    """The contact of each number (E.164) that has one: one query for a page of faxes."""
    wanted = {n for n in numbers if n}
    if not wanted:
        return {}
    return {c.fax_number: c for c in Contact.objects.filter(fax_number__in=wanted)}
