"""Registers the platform's admin pages: job runs and alerts (`inventory_project.jobs.admin`)."""

from inventory_project.jobs import admin as jobs_admin  # noqa: F401
