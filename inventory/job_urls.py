"""Inventory's routes under /jobs/: run the maintenance job now."""

from django.urls import re_path

from inventory import api

urlpatterns = [
    re_path(r"^maintenance/?$", api.MaintenanceApi.as_view(), name="job-maintenance"),
]
