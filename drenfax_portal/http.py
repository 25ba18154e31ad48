from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request as HtmxMiddleware leaves it (for type checkers)."""

    htmx: HtmxDetails


# Pages with secrets (a setup key, recovery codes) or patients' details: never cached.
no_store = cache_control(private=True, no_store=True)


def redirect_to(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that htmx follows as a whole page (HX-Redirect)."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def safe_next(request: HttpRequest, default: str) -> str:
    """The form's `next` path if it stays on this site, else the default."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site: redirect() would take any other word for a view's name.
    if (
        candidate.startswith("/")
        and candidate.isprintable()
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return default


def staff_or_404(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let staff through; anyone else gets a 404 (not a 403, which would confirm the page).
    Put it above method decorators, so a member's POST is refused before anything runs."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not (request.user.is_authenticated and request.user.is_staff):
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapper


def vary_on_htmx(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[..., Any]:
    """Middleware: every answer may differ with HX-Request (one template serves a page and
    its htmx fragment under one URL), so no cache serves a bare fragment as the page."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        patch_vary_headers(response, ["HX-Request"])
        return response

    return middleware


def htmx_fragment(page: Callable[..., str]) -> Callable[..., Callable[..., HttpResponse]]:
    """A fragment htmx loads into a page: its URL typed into the address bar (or opened from
    the browser's history) leads to that page, `page(request, *args, **kwargs)`, instead of
    showing the bare fragment. The page does its own access checks."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # (Vary: HX-Request comes from the vary_on_htmx middleware.)
            if request.method == "GET" and not getattr(request, "htmx", False):
                return redirect(page(request, *args, **kwargs))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
