from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Email notifications about faxes: preferences, team defaults and the outbox."""

    name = "drenfax_portal.notifications"
    label = "notifications"
    verbose_name = "Notifications"
