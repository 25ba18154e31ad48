from pathlib import Path

from django.apps import AppConfig


class FaxesConfig(AppConfig):
    """Cached faxes: history, detail, send, blast, webhook receiver and sync."""

    name = "faxes"
    verbose_name = "Faxes"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_migrate

        from fax_numbers.models import FaxNumber
        from faxes import checks  # noqa: F401  (registers the system checks)

        post_migrate.connect(_create_task_tables, sender=self)
        m2m_changed.connect(_member_left_number, sender=FaxNumber.assigned_users.through)


def _member_left_number(*, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """A member who loses a number loses its faxes: those they held go back to the team."""
    if action == "pre_clear":  # clear() names nobody: those about to go
        related = instance.fax_numbers if reverse else instance.assigned_users
        pk_set, action = set(related.values_list("pk", flat=True)), "post_remove"
    if action != "post_remove" or not pk_set:
        return
    from django.contrib.auth import get_user_model

    from faxes.services.inbox import faxes_back_to_team

    if reverse:  # user.fax_numbers.remove(numbers...)
        for number_id in pk_set:
            faxes_back_to_team(number_id=number_id, user=instance)
    else:
        for user in get_user_model().objects.filter(pk__in=pk_set):
            faxes_back_to_team(number_id=instance.pk, user=user)


def _create_task_tables(**kwargs) -> None:
    """The embedded task queue's tables come with `migrate`, like the database's, rather than
    when Django starts (which would write a file before anything asked for one)."""
    from huey.contrib.djhuey import HUEY

    if filename := getattr(HUEY.storage, "filename", None):  # SQLite: its folder too
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
    if initialize := getattr(HUEY.storage, "initialize_schema", None):
        initialize()
