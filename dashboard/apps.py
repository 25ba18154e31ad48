from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The home page: what needs attention now, activity figures and the link's health."""

    name = "dashboard"
    verbose_name = "Dashboard"
