from django.contrib import admin
from django.urls import include, path

from drenfax_portal.dashboard import views as dashboard

urlpatterns = [
    # First: the provider calls it more often than people open pages.
    path("webhooks/", include("faxes.urls_webhooks")),
    path("healthz", dashboard.healthz, name="healthz"),
    path("", dashboard.home, name="home"),
    path("", include("drenfax_portal.dashboard.urls")),
    path("accounts/notifications/", include("drenfax_portal.notifications.urls")),
    path("accounts/", include("drenfax_portal.accounts.urls")),
    path("faxes/", include("faxes.urls")),
    path("numbers/", include("fax_numbers.urls")),
    path("contacts/", include("contacts.urls")),
    path("audit/", include("drenfax_portal.audit.urls")),
    path("admin/", admin.site.urls),
]
