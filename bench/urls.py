from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from faxes.models import WebhookDelivery


@csrf_exempt
@login_not_required
def bare(request: HttpRequest) -> HttpResponse:
    """The webhook benchmark's baseline: the least a durable receiver does, one INSERT of the
    body, then 200 (no authentication, no parsing, no effect)."""
    WebhookDelivery.objects.create(body=request.body.decode(), event="bench.bare")
    return HttpResponse("ok")


urlpatterns = [
    path("bench/bare/", bare),
    path("", include("drenfax_portal.urls")),
]
