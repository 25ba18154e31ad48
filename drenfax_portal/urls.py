from django.contrib import admin
from django.urls import include, path

from dashboard import views as dashboard

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("", include("dashboard.urls")),
    path("accounts/notifications/", include("notifications.urls")),
    path("accounts/", include("drenfax_portal.accounts.urls")),
    path("faxes/", include("faxes.urls")),
    path("admin/", admin.site.urls),
]
