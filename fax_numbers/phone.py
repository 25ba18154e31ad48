"""Phone number normalisation, shared by sync, webhooks, forms and blasts."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from django.conf import settings


class InvalidNumber(ValueError):
    """A string that is not a valid fax number; `str()` says why in plain words."""


def parse_number(value: str, region: str | None = None) -> str:
    """Normalise a typed fax number to E.164, or raise InvalidNumber with the reason."""
    text = (value or "").strip()
    if not text:
        raise InvalidNumber("empty")
    if not any(ch.isdigit() for ch in text):
        raise InvalidNumber("not a number")
    region = region or settings.DEFAULT_PHONE_REGION
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(_PARSE_REASONS.get(exc.error_type, "not a phone number")) from exc
    if parsed.extension:
        raise InvalidNumber("it has an extension, which a fax call cannot dial")
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidNumber("wrong number of digits")
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber("not a valid number in its country")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


_PARSE_REASONS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "not a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
    phonenumbers.NumberParseException.TOO_LONG: "too long",
}


_NANP_E164 = re.compile(r"\+1[2-9][0-9]{9}")
_NANP_NATIONAL = re.compile(r"[2-9][0-9]{9}")


@lru_cache(maxsize=4096)
def to_e164(value: str | None) -> str:
    """Best-effort E.164 for numbers the provider sends ("3144508380", "+18885550000"): the
    digits with a "+" when unparseable, so unusual provider data is never dropped."""
    text = (value or "").strip()
    if not text:
        return ""
    # The provider's usual forms, answered without phonenumbers (which would return them
    # unchanged: a NANP area code never starts with 0 or 1).

    if _NANP_E164.fullmatch(text):
        return text
    if settings.DEFAULT_PHONE_REGION == "US" and _NANP_NATIONAL.fullmatch(text):
        return "+1" + text
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        return ""
    if not text.startswith("+") and len(digits) == 11 and digits.startswith("1"):
        text = "+" + digits
    try:
        parsed = phonenumbers.parse(text, settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return "+" + digits
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=4096)
def format_national(e164: str) -> str:
    """(206) 555-0100 for US numbers, the international format for others."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return e164
    region = phonenumbers.region_code_for_number(parsed)
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if region == settings.DEFAULT_PHONE_REGION
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, fmt)
