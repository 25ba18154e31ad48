"""Staff pages: the audit trail (filter, export as CSV; read-only) and sign-in lockouts."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET, require_POST

from drenfax_portal.audit.forms import AuditFilterForm, filter_events
from drenfax_portal.audit.services import audit_record
from drenfax_portal.exports import csv_cell
from drenfax_portal.http import HtmxHttpRequest, no_store, staff_or_404

PAGE_SIZE = 50
CSV_COLUMNS = [
    "Time (UTC)",
    "User",
    "IP address",
    "Action",
    "Object type",
    "Object id",
    "Outcome",
    "Details",
]


class CappedPaginator(Paginator):
    """Pages of a trail kept for years: counted only up to COUNT_LIMIT events (the filters
    and the export reach further back), so that no page counts millions of rows."""

    COUNT_LIMIT = 10_000  # a whole number of pages: the last one shown is full

    @cached_property
    def _counted(self) -> int:
        return self.object_list[: self.COUNT_LIMIT + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.COUNT_LIMIT)

    @property
    def capped(self) -> bool:
        return self._counted > self.COUNT_LIMIT


@staff_or_404
@no_store
@require_GET
def event_list(request: HtmxHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    events = filter_events(form.filters)
    page = CappedPaginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
    }
    return render(request, "audit/events.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


@staff_or_404
@no_store
@require_GET
def event_export(request: HtmxHttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The filtered trail as CSV; the export itself is audited."""
    form = AuditFilterForm(request.GET or None)
    if refused := form.refused_text():
        return HttpResponseBadRequest(f"Nothing exported.\n{refused}\n", content_type="text/plain")
    filters = form.filters
    events = filter_events(filters)
    audit_record(
        "audit.exported",
        details={k: str(v) for k, v in filters.items()} | {"events": events.count()},
    )

    def rows() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield writer.writerow(CSV_COLUMNS)
        for event in events.iterator(chunk_size=2000):
            details = "; ".join(f"{k}={v}" for k, v in sorted(event.details.items()))
            yield writer.writerow(
                csv_cell(v)
                for v in (
                    event.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                    event.username,
                    event.ip,
                    event.action,
                    event.object_type,
                    event.object_id,
                    event.outcome,
                    details,
                )
            )

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


@staff_or_404
@no_store
@require_GET
def lockout_list(request: HtmxHttpRequest) -> HttpResponse:
    """Recent failed sign-ins per username and address; locked ones can be unlocked."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(attempt_time__gte=since).order_by("-attempt_time")
    rows = [(a, a.failures_since_start >= settings.AXES_FAILURE_LIMIT) for a in attempts[:200]]
    context = {
        "rows": rows,
        "limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "audit/lockouts.html", context)


@staff_or_404
@require_POST
def lockout_unlock(request: HtmxHttpRequest, attempt_id: int) -> HttpResponse:
    attempt = get_object_or_404(AccessAttempt, pk=attempt_id)
    username, ip = attempt.username, attempt.ip_address
    # Every record of this username and address (one per browser), nothing else.
    AccessAttempt.objects.filter(username=username, ip_address=ip).delete()
    audit_record(
        "auth.unlocked",
        object_type="user",
        object_id=username or "",
        details={"username": username or "", "ip_address": ip or ""},
    )
    messages.success(request, f"Sign-in for {username or 'that user'} from {ip} is unlocked.")
    return redirect("audit:lockouts")
