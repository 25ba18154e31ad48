"""The fax history: a filterable, paginated table served from the local cache."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime, tzinfo
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from drenfax_portal.audit.services import audit_record
from drenfax_portal.exports import csv_cell
from drenfax_portal.http import HtmxHttpRequest, htmx_fragment, safe_next
from faxes.forms import HistoryFilterForm
from faxes.selectors import (
    COUNT_LIMIT,
    count_matches,
    filter_faxes,
    get_fax_for_user,
    history_rows,
    paginate,
)
from faxes.services.sync import request_refresh, sync_state
from faxes.tasks import sync_requested
from faxes.views.common import no_store

# (query, label): the directions, then the team's views of received faxes.
TABS = [
    ("", "All"),
    ("direction=inbound", "Inbox"),
    ("direction=outbound", "Sent"),
    ("team=mine", "My faxes"),
    ("team=unassigned", "Unassigned"),
    ("team=done", "Done"),
]


@require_GET
def fax_list(request: HtmxHttpRequest) -> HttpResponse:
    template = "faxes/history.html"
    if request.htmx and request.htmx.target == "results":
        template += "#results"
    return render(request, template, history_context(request))


def history_context(request: HttpRequest) -> dict[str, Any]:
    """The page of faxes the request's filters and cursor ask for, and its filter form."""
    form = HistoryFilterForm(request.GET, user=request.user)
    filters = form.filters
    page = paginate(
        history_rows(filter_faxes(request.user, filters)),
        before=request.GET.get("before"),
        after=request.GET.get("after"),
    )
    return {
        "form": form,
        "page": page,
        "tabs": TABS,
        "current_tab": _current_tab(filters),
        "query": _query_without(request, "before", "after"),
        "here": request.get_full_path(),  # where a row's team form comes back without htmx
        # The first page reloads itself (every 5 s while a fax on it is unfinished), so its
        # rows do not each ask for their own status; rows of other pages do.
        "live_list": page.newer_cursor is None,
        "unfinished": any(not fax.is_terminal for fax in page.faxes),
    }


def _current_tab(filters: dict) -> str:
    if team := filters.get("team"):
        return f"team={team}"
    return f"direction={filters['direction']}" if filters.get("direction") else ""


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _the_list(request: HttpRequest) -> str:
    return f"{reverse('faxes:list')}?{request.GET.urlencode()}".rstrip("?")


@require_GET
@htmx_fragment(_the_list)
def fax_count(request: HtmxHttpRequest) -> HttpResponse:
    """How many faxes match the filters: loaded after the page, so counting never slows it."""
    form = HistoryFilterForm(request.GET, user=request.user)
    total = count_matches(filter_faxes(request.user, form.filters))
    return render(
        request,
        "faxes/history.html#count",
        {"total": total, "count_limit": COUNT_LIMIT, "form": form},
    )


@require_GET
@htmx_fragment(lambda request, message_id: reverse("faxes:detail", args=[message_id]))
def fax_row(request: HtmxHttpRequest, message_id) -> HttpResponse:
    """One history row, polled while the fax is not finished."""
    fax = get_fax_for_user(request.user, message_id)
    return render(request, "faxes/history.html#row", {"fax": fax})


@require_POST
def sync_refresh(request: HtmxHttpRequest) -> HttpResponse:
    """Enqueue a sync step now; never waits for the API."""
    request_refresh(settings.DRENFAX_ACCOUNT_ID)
    sync_requested(numbers=True)
    if request.htmx:
        return _sync_status(request)
    messages.info(request, "Refresh requested: new faxes appear within a few seconds.")
    return redirect(safe_next(request, reverse("faxes:list")))


@require_GET
@htmx_fragment(lambda request: reverse("faxes:list"))
def sync_status(request: HtmxHttpRequest) -> HttpResponse:
    """When the cache was last synced; polled after a Refresh until the step ran."""
    return _sync_status(request)


def _sync_status(request: HtmxHttpRequest) -> HttpResponse:
    state = sync_state(settings.DRENFAX_ACCOUNT_ID)
    pending = bool(
        state.refresh_requested_at
        and (state.last_attempt_at is None or state.last_attempt_at < state.refresh_requested_at)
    )
    response = render(
        request, "faxes/history.html#sync-status", {"sync": state, "refresh_pending": pending}
    )
    if not pending and request.GET.get("after_refresh"):
        response["HX-Trigger"] = "faxes-synced"
    return response


CSV_COLUMNS = [
    ("message_id", "Message id"),
    ("created_at", "Created"),
    ("direction", "Direction"),
    ("status", "Status"),
    ("reason", "Reason"),
    ("other_party", "Other party"),
    ("fax_csid", "CSID"),
    ("recipient_name", "Recipient name"),
    ("our_number", "Our number"),
    ("subject", "Subject"),
    ("pages_complete", "Pages sent"),
    ("pages_count", "Pages"),
    ("is_archived", "Archived"),
    ("tags", "Tags"),
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: object, tz: tzinfo) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")
    elif isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return csv_cell(value)


@require_GET
def fax_export(request: HtmxHttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The current filter as CSV (every page, scoped by the access rule)."""
    form = HistoryFilterForm(request.GET, user=request.user)
    if refused := form.refused_text():
        return HttpResponseBadRequest(f"Nothing exported.\n{refused}\n", content_type="text/plain")
    faxes = filter_faxes(request.user, form.filters).order_by("-created_at", "-id")
    tz = timezone.get_current_timezone()  # now: the rows are written after the view returns
    audit_record("fax.exported", details={"filters": sorted(form.filters)})

    def rows() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield writer.writerow([label for _, label in CSV_COLUMNS])
        for fax in faxes.iterator(chunk_size=2000):
            yield writer.writerow([_cell(getattr(fax, name), tz) for name, _ in CSV_COLUMNS])

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="faxes-{stamp}.csv"'
    return no_store(response)
