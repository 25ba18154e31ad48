"""The contacts book: everyone looks contacts up (the list, the Send form's suggestions);
staff add, change, delete, import and export them."""

from __future__ import annotations

import copy
import csv
import dataclasses
import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from contacts.forms import ContactForm, ImportForm
from contacts.importing import read_contacts
from contacts.models import Contact
from contacts.selectors import SUGGESTIONS, contact_search
from contacts.services import (
    ImportedContact,
    NumberTaken,
    contact_create,
    contact_delete,
    contact_update,
    contacts_import,
)
from drenfax_portal.audit.services import audit_record
from drenfax_portal.exports import csv_cell
from drenfax_portal.http import HtmxHttpRequest, htmx_fragment, safe_next, staff_or_404
from fax_numbers.phone import format_national
from faxes.services.blasts import RecipientListUploadHandler
from faxes.spreadsheets import RefusedList
from faxes.views.common import limited_uploads

PAGE_SIZE = 50
# A double click on Add, or a colleague saving the same number at the same moment.
TAKEN_MEANWHILE = "This fax number was just added to the contacts: look it up in the list."


@require_GET
def contact_list(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(contact_search(query), PAGE_SIZE).get_page(request.GET.get("page"))
    template = "contacts/list.html"
    if request.htmx and request.htmx.target == "results":
        template += "#results"
    return render(request, template, {"page": page, "query": query})


def _the_list(request: HttpRequest) -> str:
    query = request.GET.get("contact", "").strip()[:100]
    return reverse("contacts:list") + (f"?{urlencode({'q': query})}" if query else "")


@require_GET
@htmx_fragment(_the_list)
def contact_suggest(request: HtmxHttpRequest) -> HttpResponse:
    """The Send form's suggestions for what is typed in its contact search box."""
    query = request.GET.get("contact", "").strip()[:100]
    contacts = contact_search(query)[:SUGGESTIONS] if query else []
    return render(request, "contacts/_suggestions.html", {"contacts": contacts, "query": query})


@staff_or_404
@require_http_methods(["GET", "POST"])
def contact_add(request: HtmxHttpRequest) -> HttpResponse:
    # "Add to contacts" on a fax's page passes the number (and the name the fax gave).
    initial = {"fax_number": request.GET.get("fax_number", ""), "name": request.GET.get("name", "")}
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            contact = contact_create(user=request.user, **form.cleaned_data)
        except NumberTaken:
            form.add_error("fax_number", TAKEN_MEANWHILE)
        else:
            messages.success(request, f"Added {contact} to the contacts.")
            return redirect(safe_next(request, "contacts:list"))
    return render(request, "contacts/form.html", {"form": form, "next": safe_next(request, "")})


@staff_or_404
@require_http_methods(["GET", "POST"])
def contact_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    # The form edits a copy: a refused edit leaves the page's title with the stored name.
    form = ContactForm(request.POST or None, instance=copy.copy(contact))
    if request.method == "POST" and form.is_valid():
        try:
            contact_update(contact=form.instance, user=request.user, changed=form.changed_data)
        except NumberTaken:
            form.add_error("fax_number", TAKEN_MEANWHILE)
        else:
            messages.success(request, f"Saved {form.instance}.")
            return redirect("contacts:list")
    return render(request, "contacts/form.html", {"form": form, "contact": contact})


@staff_or_404
@require_http_methods(["GET", "POST"])
def contact_remove(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    if request.method == "POST":
        contact_delete(contact=contact, user=request.user)
        messages.success(request, f"Deleted {contact} from the contacts.")
        return redirect("contacts:list")
    return render(request, "contacts/delete.html", {"contact": contact})


EXPORT_HEADER = ["Name", "Organisation", "Fax number", "Notes", "Tags"]


@staff_or_404
@require_GET
def contact_export(request: HtmxHttpRequest) -> HttpResponse:
    """Every contact as CSV, with the columns the import reads."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Cache-Control"] = "private, no-store"  # names, numbers and notes
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="contacts-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(EXPORT_HEADER)
    contacts = Contact.objects.all()
    for contact in contacts:
        cells = [contact.name, contact.organisation, format_national(contact.fax_number)]
        writer.writerow([csv_cell(c) for c in (*cells, contact.notes, contact.tags)])
    audit_record("contact.exported", details={"contacts": len(contacts)})
    return response


class ContactsUploadHandler(RecipientListUploadHandler):
    """One contacts list, as large as a blast's recipient list may be."""

    what = "an import"


IMPORT_KEY = "contacts_import"


def _import_page(request: HtmxHttpRequest, **context: Any) -> HttpResponse:
    context.setdefault("form", ImportForm())
    return render(request, "contacts/import.html", context)


def _refused_upload(request: HtmxHttpRequest, reason: str) -> HttpResponse:
    return _import_page(request, error=reason)


@staff_or_404
@require_http_methods(["GET", "POST"])
@limited_uploads(_refused_upload, handler=ContactsUploadHandler)
def contact_import(request: HtmxHttpRequest, refused: list[tuple[str, str]]) -> HttpResponse:
    """Upload a list, look at every row, then import the valid ones (or choose another)."""
    if request.method == "GET":
        return _import_page(request)
    if request.POST.get("action") == "import":
        return _import_confirmed(request)
    form = ImportForm(request.POST, request.FILES)
    if refused:
        name, reason = refused[0]
        return _import_page(request, form=form, error=f"{name} was not read: {reason}.")
    if not form.is_valid():
        return _import_page(request, form=form)
    upload = form.cleaned_data["file"]
    try:
        rows = read_contacts(upload.file, upload.name)
    except RefusedList as exc:
        error = f"{upload.name} was not read. {exc} No contact was changed."
        return _import_page(request, form=form, error=error)
    valid = [row.contact for row in rows if row.contact is not None]
    token = uuid.uuid4().hex
    request.session[IMPORT_KEY] = {
        "token": token,
        "filename": upload.name,
        "rows": [dataclasses.asdict(contact) for contact in valid],
    }
    context = {"rows": rows, "filename": upload.name, "token": token, "valid": len(valid)}
    context["updates"] = sum(1 for row in rows if row.updates is not None)
    return _import_page(request, **context)


def _import_confirmed(request: HtmxHttpRequest) -> HttpResponse:
    pending = request.session.get(IMPORT_KEY)
    if not pending or pending["token"] != request.POST.get("token"):
        # Imported already (a second click), or replaced by a newer preview in another tab.
        messages.info(request, "That list was imported already, or replaced by another one.")
        return redirect("contacts:list")
    del request.session[IMPORT_KEY]
    rows = [ImportedContact(**row) for row in pending["rows"]]
    added, updated = contacts_import(rows=rows, user=request.user, filename=pending["filename"])
    messages.success(request, f"Imported {pending['filename']}: {added} added, {updated} updated.")
    return redirect("contacts:list")
