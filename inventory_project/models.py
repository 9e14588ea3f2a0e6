"""The platform's records, defined by concern and gathered here for Django.

Job runs, locks and alerts: `inventory_project.jobs.models`; idempotent requests:
`inventory_project.api.models`; the response cache's generations: `inventory_project.http.models`.
"""

from inventory_project.api.models import IdempotentRequest
from inventory_project.http.models import CacheGeneration
from inventory_project.jobs.models import Alert, JobLock, JobRun

__all__ = ["Alert", "CacheGeneration", "IdempotentRequest", "JobLock", "JobRun"]
