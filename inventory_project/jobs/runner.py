"""Run a scheduled job under its lock, and record the run.

    run = run_job(JobName.MAINTENANCE, task, trigger=JobRun.Trigger.CRON)

`task(context)` does the work and returns a JSON-able result; `context.heartbeat()` tells the
watchdog the job is alive (long jobs call it between batches). Two hosts never run one job at
once: the second gets `JobAlreadyRunning`. A lock whose holder stopped heartbeating for
`JOB_STALE_SECONDS` is taken over, and the silent run is marked dead. A task that raises leaves a
failed run and the exception propagates, so a command exits non-zero.
"""

import logging
import os
import socket
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from inventory_project.jobs.models import JobLock, JobRun

logger = logging.getLogger(__name__)


class JobAlreadyRunning(Exception):
    """Another process holds the job's lock and is alive."""

    def __init__(self, name: str, run_id: int | None, holder: str) -> None:
        super().__init__(f"Job {name} is already running (run {run_id}, {holder}).")
        self.name = name
        self.run_id = run_id
        self.holder = holder


@dataclass
class JobContext:
    run: JobRun
    holder: str

    def heartbeat(self) -> None:
        """Say the job is alive; cheap enough to call once per batch."""
        now = timezone.now()
        JobRun.objects.filter(pk=self.run.pk).update(heartbeat_at=now)
        JobLock.objects.filter(name=self.run.name, holder=self.holder).update(heartbeat_at=now)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _acquire(name: str, trigger: str) -> JobContext:
    holder = _holder()
    stale_after = timedelta(seconds=settings.JOB_STALE_SECONDS)
    with transaction.atomic():
        lock, _created = JobLock.objects.select_for_update().get_or_create(name=name)
        now = timezone.now()
        if lock.holder:
            if lock.heartbeat_at and now - lock.heartbeat_at < stale_after:
                raise JobAlreadyRunning(name, lock.run_id, lock.holder)
            if lock.run_id:
                JobRun.objects.filter(pk=lock.run_id, status=JobRun.Status.RUNNING).update(
                    status=JobRun.Status.DEAD,
                    finished_at=now,
                    error=f"No heartbeat since {lock.heartbeat_at}; lock taken over by {holder}.",
                )
            logger.warning("Job %s: taking over a stale lock from %s", name, lock.holder)
        run = JobRun.objects.create(
            name=name,
            trigger=trigger,
            started_at=now,
            heartbeat_at=now,
            host=socket.gethostname(),
            pid=os.getpid(),
        )
        lock.holder, lock.run, lock.acquired_at, lock.heartbeat_at = holder, run, now, now
        lock.save()
    return JobContext(run=run, holder=holder)


def _release(context: JobContext) -> None:
    JobLock.objects.filter(name=context.run.name, holder=context.holder).update(holder="", run=None)


def run_job(
    name: str,
    task: Callable[[JobContext], dict],
    *,
    trigger: str = JobRun.Trigger.MANUAL,
) -> JobRun:
    """Run `task` as job `name`: lock, record, run, record the outcome, unlock."""
    context = _acquire(name, trigger)
    run = context.run
    started = time.perf_counter()
    logger.info("Job %s started (run %s, %s)", name, run.pk, trigger)
    try:
        result = task(context)
    except Exception as exc:
        run.status = JobRun.Status.FAILED
        run.error = "".join(traceback.format_exception_only(exc)).strip()
        logger.exception("Job %s failed (run %s)", name, run.pk)
        raise
    else:
        run.result = result or {}
        # A job that ran but reports failure (a task of it failed) is a failed run.
        if run.result.get("success") is False:
            run.status = JobRun.Status.FAILED
            run.error = run.result.get("error", "The job reported failure.")
            logger.error("Job %s reported failure (run %s)", name, run.pk)
        else:
            run.status = JobRun.Status.SUCCEEDED
            logger.info("Job %s succeeded (run %s)", name, run.pk)
    finally:
        run.finished_at = timezone.now()
        run.heartbeat_at = run.finished_at
        run.duration_seconds = round(time.perf_counter() - started, 6)
        run.save(
            update_fields=[
                "status",
                "result",
                "error",
                "finished_at",
                "heartbeat_at",
                "duration_seconds",
            ]
        )
        _release(context)
    return run


def mark_stale_runs_dead(now=None) -> list[JobRun]:
    """Mark every running run silent for `JOB_STALE_SECONDS` dead and free its lock.

    `_acquire` only takes over a stale lock when the same job starts again; the watchdog calls
    this so a run that died stays visible as dead, and its lock free, before then.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOB_STALE_SECONDS)
    dead = []
    with transaction.atomic():
        stale = JobRun.objects.select_for_update().filter(
            status=JobRun.Status.RUNNING, heartbeat_at__lt=cutoff
        )
        for run in stale:
            run.status = JobRun.Status.DEAD
            run.finished_at = now
            run.error = f"No heartbeat since {run.heartbeat_at}; marked dead by the watchdog."
            run.save(update_fields=["status", "finished_at", "error"])
            JobLock.objects.filter(name=run.name, run=run).update(holder="", run=None)
            logger.warning("Job %s: run %s marked dead (no heartbeat)", run.name, run.pk)
            dead.append(run)
    return dead


def last_runs(*, status: str | None = None) -> dict[str, dict]:
    """The latest run of each job (of that status, if given), for health and metrics."""
    runs = JobRun.objects.filter(status=status) if status else JobRun.objects.all()
    latest_ids = runs.values("name").annotate(last_id=Max("id")).values("last_id")
    runs = JobRun.objects.filter(pk__in=latest_ids).values(
        "name", "status", "started_at", "finished_at", "duration_seconds", "trigger"
    )
    return {run["name"]: run for run in runs}


def resolve_alerts(*, alerts, now=None) -> int:
    """Resolve the open alerts among `alerts` (a queryset); answers how many were open."""
    return alerts.filter(resolved_at__isnull=True).update(resolved_at=now or timezone.now())
