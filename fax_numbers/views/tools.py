"""The validate-number tool: phonenumbers first, then Drenfax's own verdict."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from drenfax_portal.api import describe_error, get_client
from drenfax_portal.client import DrenfaxError
from drenfax_portal.http import HtmxHttpRequest, staff_or_404
from fax_numbers.forms import ValidateForm
from fax_numbers.phone import InvalidNumber, format_national, parse_number

NUMBER_TYPES = {
    phonenumbers.PhoneNumberType.FIXED_LINE: "Landline",
    phonenumbers.PhoneNumberType.MOBILE: "Mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "Landline or mobile",
    phonenumbers.PhoneNumberType.TOLL_FREE: "Toll-free",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "Premium rate",
    phonenumbers.PhoneNumberType.SHARED_COST: "Shared cost",
    phonenumbers.PhoneNumberType.VOIP: "Internet phone (VoIP)",
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: "Personal number",
    phonenumbers.PhoneNumberType.UAN: "Company number (UAN)",
}


def check_number(text: str, country: str) -> dict[str, Any]:
    """What the portal and Drenfax make of a typed number. Drenfax is asked only about a
    number phonenumbers accepts."""
    try:
        e164 = parse_number(text, region=country)
    except InvalidNumber as exc:
        return {"valid_here": False, "reason": str(exc)}
    parsed = phonenumbers.parse(e164)
    # A worldwide number (+800, +882...) has the region "001", which is no country code.
    region = phonenumbers.region_code_for_number(parsed)
    region = region if region and region.isalpha() else country
    result: dict[str, Any] = {
        "valid_here": True,
        "e164": e164,
        "national": format_national(e164),
        "international": phonenumbers.format_number(
            parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        ),
        "region": region,
        "kind": NUMBER_TYPES.get(phonenumbers.number_type(parsed), ""),
    }
    try:
        with get_client() as client:
            result["drenfax_valid"] = client.validate_number(e164, country=region)
    except DrenfaxError as exc:
        result["drenfax_error"] = describe_error(exc)
    return result


@staff_or_404
@require_GET
def number_validate(request: HtmxHttpRequest) -> HttpResponse:
    form = ValidateForm(request.GET if "number" in request.GET else None)
    result = None
    if form.is_bound and form.is_valid():
        result = check_number(form.cleaned_data["number"], form.cleaned_data["country"])
    template = "numbers/validate.html"
    if request.htmx and request.htmx.target == "validate-result":
        template += "#result"
    return render(request, template, {"form": form, "result": result})
