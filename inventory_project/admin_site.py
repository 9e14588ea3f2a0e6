"""The admin site: its front page is a dashboard of panels that the apps contribute.

The platform knows no stock or forecasts: each app registers a panel function with
`dashboard_panel`, which gets the request and answers a `Panel` (or None to show nothing), and
the index page shows them in registration order above the usual list of models. A panel's
figures link to the filtered list behind them. "View site" leads to the API's documentation,
the one page the project serves besides the admin.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


@dataclass(frozen=True)
class Figure:
    """One number of a panel: what it counts, and the list behind it (if any)."""

    label: str
    value: int | str
    url: str | None = None
    # "alert" (needs doing now), "warn" (soon), or "" (for information); only when not zero.
    tone: str = ""


@dataclass(frozen=True)
class Panel:
    title: str
    figures: list[Figure] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    # Markup the panel made itself (a chart as inline SVG), already escaped where it must be.
    chart: str = ""
    order: int = 100


_panels: list[Callable[[HttpRequest], Panel | None]] = []


def dashboard_panel(function: Callable[[HttpRequest], Panel | None]):
    """Decorator: show the panel `function` answers on the admin's front page."""
    if function not in _panels:
        _panels.append(function)
    return function


def dashboard_panels(request: HttpRequest) -> list[Panel]:
    panels = [panel for function in _panels if (panel := function(request)) is not None]
    return sorted(panels, key=lambda panel: panel.order)


class InventoryAdminSite(admin.AdminSite):
    site_header = "Inventory"
    site_title = "Inventory"
    index_title = "Today"
    site_url = "/api/docs/"
    index_template = "admin/dashboard_index.html"

    def index(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "dashboard_panels": dashboard_panels(request)}
        return super().index(request, extra_context)


class InventoryAdminConfig(AdminConfig):
    """`django.contrib.admin` with this project's site as `admin.site`."""

    default_site = "inventory_project.admin_site.InventoryAdminSite"
