from pathlib import Path

from django.apps import AppConfig


class FaxesConfig(AppConfig):
    """Cached faxes: history, detail, send, blast, webhook receiver and sync."""

    name = "faxes"
    verbose_name = "Faxes"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from faxes import checks  # noqa: F401  (registers the system checks)

        post_migrate.connect(_create_task_tables, sender=self)


def _create_task_tables(**kwargs) -> None:
    """The embedded task queue's tables come with `migrate`, like the database's, rather than
    when Django starts (which would write a file before anything asked for one)."""
    from huey.contrib.djhuey import HUEY

    if filename := getattr(HUEY.storage, "filename", None):  # SQLite: its folder too
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
    if initialize := getattr(HUEY.storage, "initialize_schema", None):
        initialize()
