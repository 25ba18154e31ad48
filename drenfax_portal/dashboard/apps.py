from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The home page: what needs attention now, activity figures and the link's health."""

    name = "drenfax_portal.dashboard"
    label = "dashboard"
    verbose_name = "Dashboard"
