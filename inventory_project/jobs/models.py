"""Job records: a run of each job, the lock that keeps two hosts from running it at once, alerts.

Every `manage.py` job runs through `inventory_project.jobs.runner.run_job`, which takes the job's
`JobLock` row and writes a `JobRun`. The lock is a database row, so it holds across hosts with
or without Redis.
"""

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
