from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit trail (who did what, when, from where) and the sign-in safeguards around it."""

    name = "drenfax_portal.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from drenfax_portal.audit import receivers  # noqa: F401 (connects the auth signals)
        from drenfax_portal.security import install_log_redaction

        install_log_redaction()
