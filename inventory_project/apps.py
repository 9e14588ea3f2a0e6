"""App config of the platform layer; registers its system checks and the audit defaults."""

from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "inventory_project"
    verbose_name = "Platform"

    def ready(self) -> None:
        from auditlog.models import LogEntry
        from django.db.models.signals import pre_save

        from inventory_project import checks  # noqa: F401  (registers the checks)
        from inventory_project.audit import fill_entry

        pre_save.connect(fill_entry, sender=LogEntry, dispatch_uid="audit.context")
