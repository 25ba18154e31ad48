"""Helpers shared by the views that send: uploads read within caps, one-time keys, caching."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django_htmx.http import HttpResponseClientRedirect

from drenfax_portal.http import HtmxHttpRequest
from faxes.models import Submission
from faxes.services.uploads import CappedUploadHandler, SendUploadHandler

# Why Django would not parse a form body (any other MultiPartParserError: "could not be read").
UNREADABLE = {
    TooManyFilesSent: "Too many files were chosen at once",
    TooManyFieldsSent: "The form had too many fields",
    RequestDataTooBig: "The text of the form was too long",
}


def limited_uploads(
    on_unreadable: Callable[[HtmxHttpRequest, str], HttpResponse],
    *,
    handler: Callable[[HtmxHttpRequest], CappedUploadHandler] = SendUploadHandler,
):
    """Read a view's uploads through a CappedUploadHandler, then check CSRF.

    The handler must be set before CsrfViewMiddleware reads `request.POST`, so the view is
    exempt from it and protected here (as Django documents). The view receives `refused`;
    a body Django will not parse gets `on_unreadable`.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        protected = csrf_protect(view)

        @wraps(view)
        def wrapper(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            refused: list[tuple[str, str]] = []
            if request.method == "POST":
                capped = handler(request)
                request.upload_handlers.insert(0, capped)
                refused = capped.refused
                try:
                    request.POST  # noqa: B018 (parse now, through the handler above)
                except (MultiPartParserError, *UNREADABLE) as exc:
                    reason = UNREADABLE.get(type(exc), "The upload could not be read")
                    return on_unreadable(request, f"{reason}; nothing was sent.")
            return protected(request, *args, refused=refused, **kwargs)

        return csrf_exempt(wrapper)

    return decorator


def used_submission(request: HtmxHttpRequest, key) -> Submission | None:
    """The submission made under this one-time key, if any (another user's is a 404)."""
    submission = Submission.objects.filter(key=key).first()
    if submission is not None and submission.user_id != request.user.pk:
        raise Http404("No such submission")
    return submission


def used_form_notice(submission: Submission, *, sent: str, again: str) -> str:
    """What a form posted again under a used one-time key says: `sent` when that send went
    out (or may have), else that nothing was sent then and how to try `again`."""
    if submission.state in (Submission.State.FAILED, Submission.State.NOT_SENT):
        return f"This form was used already, and nothing was sent then: here is why. {again}"
    return sent


def redirect_to(request: HtmxHttpRequest, url: str) -> HttpResponse:
    """A redirect that htmx follows as a whole page."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def no_store(response: HttpResponse) -> HttpResponse:
    # Forms and lists can hold patients' details and documents' names: never cached.
    response["Cache-Control"] = "private, no-store"
    return response
