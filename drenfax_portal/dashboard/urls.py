from django.urls import path

from drenfax_portal.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("inbox/read-all/", views.mark_all_read, name="mark_all_read"),
    path("health/webhooks/<int:delivery_id>/replay/", views.webhook_replay, name="webhook_replay"),
]
