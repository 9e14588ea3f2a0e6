"""Routes under /jobs/: run a job now."""

from django.urls import re_path

from inventory.api import MaintenanceApi

urlpatterns = [
    re_path(r"^maintenance/?$", MaintenanceApi.as_view(), name="job-maintenance"),
]
