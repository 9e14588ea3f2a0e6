"""Root URLs: the API under /api/, the admin, the OpenAPI schema and its interactive docs.

The apps' routes are mounted here by module name: `<app>.urls` under /api/, and the v20 job
route under /jobs/ from `inventory.job_urls`.

Any other path under /api/ or /jobs/ answers a 404 in the API envelope, also with DEBUG on.
"""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from inventory_project.api.exceptions import json_not_found
from inventory_project.http.health import LivenessApi, ReadinessApi
from inventory_project.http.logging import NOT_FOUND_ROUTE_NAME
from inventory_project.http.metrics import metrics_view

handler404 = "inventory_project.api.exceptions.json_not_found"
handler500 = "inventory_project.api.exceptions.json_server_error"
handler400 = "inventory_project.api.exceptions.json_bad_request"

api_patterns = [
    re_path(r"^health/?$", LivenessApi.as_view(), name="health"),
    re_path(r"^health/status/?$", ReadinessApi.as_view(), name="health-status"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI whose start-up script is a URL of its own (`?script`), not inline: the page runs
    # under the Content-Security-Policy with no 'unsafe-inline'.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
    path("", include("accounts.urls")),
    path("", include("items.urls")),
    path("", include("inventory.urls")),
    path("", include("forecasting.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("jobs/", include("inventory.job_urls")),
    path("metrics", metrics_view, name="metrics"),
    re_path(r"^(?:api|jobs)(?:/.*)?$", json_not_found, name=NOT_FOUND_ROUTE_NAME),
]
