from django.apps import AppConfig


class FaxesConfig(AppConfig):
    """Cached faxes: history, detail, send, blast, webhook receiver and sync."""

    name = "faxes"
    verbose_name = "Faxes"

    def ready(self) -> None:
        from faxes import checks  # noqa: F401  (registers the system checks)
