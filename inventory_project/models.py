"""Platform records: jobs, locks, alerts, idempotent requests, the cache's database generations.

Every `manage.py` job (maintenance, forecast, report, retrain, watchdog) runs through
`inventory_project.jobs.run_job`, which takes the job's `JobLock` row and writes a `JobRun`. The
lock is a database row, so it holds across hosts with or without Redis.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class JobRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        DEAD = "dead", "Dead (no heartbeat)"

    class Trigger(models.TextChoices):
        CRON = "cron", "Cron"
        API = "api", "API"
        MANUAL = "manual", "Manual"
        WATCHDOG = "watchdog", "Watchdog"

    name = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    host = models.CharField(max_length=255, blank=True, default="")
    pid = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["name", "-started_at"], name="jobrun_name_started_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="jobrun_status_heartbeat_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.status} {self.started_at:%Y-%m-%d %H:%M:%S}"


class JobLock(models.Model):
    """One row per job name; `holder` is empty when nobody runs the job."""

    name = models.CharField(max_length=64, unique=True)
    holder = models.CharField(max_length=255, blank=True, default="")
    run = models.ForeignKey(JobRun, null=True, blank=True, on_delete=models.SET_NULL)
    acquired_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.holder or 'free'}"


class Alert(models.Model):
    """Something an operator must look at, raised by the watchdog; open until `resolved_at`."""

    kind = models.CharField(max_length=32)
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "-created_at"], name="alert_kind_created_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M:%S}"


class IdempotentRequest(models.Model):
    """A write sent with an `Idempotency-Key`: its answer, replayed to every retry of it.

    Stored in the write's own transaction, so a key is taken exactly when the write committed;
    see `inventory_project.api.idempotency`.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    route = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request's data.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.TextField(blank=True, default="", help_text="The answer, as sent.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotent_request_user_key_uniq")
        ]
        indexes = [models.Index(fields=["user", "created_at"], name="idempotent_user_created_idx")]

    def __str__(self) -> str:
        return f"{self.key} ({self.route})"


class CacheGeneration(models.Model):
    """The database's half of a cache group's generation (see `inventory_project.cache`).

    Bumped, in the write's own transaction, only when the generation in the cache could not be:
    every worker on every host reads it beside the cache's, so a write made while Redis hung
    outdates what was stored before it as surely as a bump in Redis would have.
    """

    group = models.CharField(max_length=64, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.group}: {self.value}"
