from django.urls import path

from drenfax_portal.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.preferences, name="preferences"),
    path("reset/", views.reset_to_defaults, name="reset"),
    path("defaults/", views.team_defaults_update, name="defaults"),
]
