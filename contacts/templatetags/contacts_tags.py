from __future__ import annotations

from typing import Any

from django import template

from contacts.selectors import contact_names
from fax_numbers.phone import to_e164

register = template.Library()


@register.simple_tag
def attach_contacts(faxes: Any) -> str:
    """Give each fax of a page (or one fax) `.contact`: the contact whose number is at the
    other end, or None. One query, whatever the page's size (none for faxes that have it
    already: a row of a page); renders nothing."""
    faxes = [faxes] if hasattr(faxes, "other_party") else list(faxes)
    numbers = {fax: to_e164(fax.other_party) for fax in faxes if not hasattr(fax, "contact")}
    if not numbers:
        return ""
    known = contact_names(numbers.values())
    for fax, number in numbers.items():
        fax.contact = known.get(number)
    return ""
