from django.urls import path

from drenfax_portal.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.event_list, name="events"),
    path("export.csv", views.event_export, name="export"),
    path("lockouts/", views.lockout_list, name="lockouts"),
    path("lockouts/<int:attempt_id>/unlock/", views.lockout_unlock, name="unlock"),
]
