from django.core.management.base import BaseCommand

from drenfax_portal.audit.services import audit_events_purge


class Command(BaseCommand):
    help = "Delete audit events older than AUDIT_RETENTION_DAYS (the sync worker runs this too)."

    def handle(self, *args, **options) -> None:
        deleted = audit_events_purge()
        self.stdout.write(f"{deleted} audit event(s) older than the retention period deleted")
