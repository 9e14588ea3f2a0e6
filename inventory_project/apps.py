"""App config of the platform layer; registers its system checks."""

from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "inventory_project"
    verbose_name = "Platform"

    def ready(self) -> None:
        from inventory_project import checks  # noqa: F401  (registers the checks)
