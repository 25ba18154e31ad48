"""Finding and adding numbers: search, a confirmation step with a one-time key (see
`fax_numbers.provisioning`), and the result."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from drenfax_portal.api import describe_error, get_client
from drenfax_portal.audit.services import audit_record
from drenfax_portal.client import DrenfaxError
from drenfax_portal.http import HtmxHttpRequest, staff_or_404
from drenfax_portal.uuids import parse_uuid
from fax_numbers.forms import ProvisionForm, SearchForm
from fax_numbers.models import FaxNumber, Provisioning
from fax_numbers.provisioning import (
    provisioning_claim,
    provisioning_execute,
    provisioning_is_waiting,
)


def search_url(query: str = "") -> str:
    """The search page for a query string, keeping only the search's own fields."""
    data = QueryDict(query)
    kept = urlencode({name: data[name] for name in SearchForm.base_fields if data.get(name)})
    url = reverse("numbers:search")
    return f"{url}?{kept}" if kept else url


@staff_or_404
@require_GET
def number_search(request: HtmxHttpRequest) -> HttpResponse:
    """The search form and, once submitted and valid, Drenfax's available numbers."""
    submitted = any(name in request.GET for name in SearchForm.base_fields)
    form = SearchForm(request.GET if submitted else None)
    results, error = None, ""
    if submitted and form.is_valid():
        try:
            with get_client() as client:
                results = client.search_numbers(**form.search_params())
        except DrenfaxError as exc:
            error = describe_error(exc)
    context = {
        "form": form,
        "results": results,
        "error": error,
        "search_query": search_url(request.GET.urlencode()).partition("?")[2],
    }
    template = "numbers/search.html"
    if request.htmx and request.htmx.target == "search-area":
        template += "#search-area"
    return render(request, template, context)


@staff_or_404
@require_http_methods(["GET", "POST"])
def number_provision(request: HtmxHttpRequest) -> HttpResponse:
    """Without a key: show what will be provisioned. With the page's key: provision it once."""
    if request.method == "GET":
        return redirect("numbers:search")
    form = ProvisionForm(request.POST)
    back = search_url(request.POST.get("search", ""))
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(back)
    data = form.cleaned_data
    if "key" not in request.POST:
        context = {"form": form, "key": str(uuid.uuid4()), "back": back}
        return render(request, "numbers/provision_confirm.html", context)
    key = parse_uuid(request.POST["key"])
    if key is None:
        messages.error(request, "The confirmation has expired; please choose the numbers again.")
        return redirect(back)
    provisioning, created = provisioning_claim(
        key=key,
        user=request.user,
        kind=data["kind"],
        numbers=data["numbers"],
        quantity=data["quantity"],
    )
    if created:
        with get_client() as client:
            provisioning_execute(client=client, provisioning=provisioning)
        facts = {"state": provisioning.state, "numbers": provisioning.results}
        ok = provisioning.state != Provisioning.State.FAILED
        audit_record("number.provisioned", target=provisioning, success=ok, details=facts)
    return redirect("numbers:provisioning", key=provisioning.key)


@staff_or_404
@require_GET
def provisioning_detail(request: HtmxHttpRequest, key) -> HttpResponse:
    """What came of a provisioning request: the new numbers, or Drenfax's refusal."""
    provisioning = get_object_or_404(Provisioning, key=key)
    by_uuid = {str(n.uuid): n for n in FaxNumber.objects.filter(uuid__in=provisioning.results)}
    context = {
        "provisioning": provisioning,
        "numbers": [by_uuid[u] for u in provisioning.results if u in by_uuid],
        "waiting": provisioning_is_waiting(provisioning),
    }
    template = "numbers/provisioning.html"
    if request.htmx:
        template += "#outcome"
    return render(request, template, context)
