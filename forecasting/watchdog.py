"""The self-healing watchdog behind `manage.py watchdog` (cron, every 5 minutes).

Three checks, each decision logged and returned (the command keeps it as the watchdog's job-run
result):

- Stuck runs: a running job whose heartbeat is older than `SCHEDULER_WATCHDOG_TIMEOUT_MS` is
  marked dead and its lock released (`jobs.runner.mark_stale_runs_dead`); each is an
  alert, resolved once that job succeeds again.
- Missed forecast: when the last succeeded daily forecast finished more than
  1.5 x `FORECAST_INTERVAL_HOURS` ago, the forecast runs again (job "forecast", trigger
  "watchdog") and an alert is raised. The alert is the record of the re-run: while one younger
  than that window exists no second re-run starts, so a forecast that keeps failing is retried
  once a window, not every 5 minutes. With no succeeded forecast at all there is nothing to be
  late against (a fresh install), so nothing is re-run.
- Health failures: a health failure is a succeeded daily forecast whose health is "failing"
  (pooled WAPE over `MAPE_THRESHOLD`). `MAX_HEALTH_FAILURES` of them in a row, counted back from
  the latest, raise one alert, resolved when a later forecast is not failing.

An alert is an `inventory_project.models.Alert` row (open ones appear in `/api/health/status`), a
log line, and an e-mail to `REPORT_RECIPIENTS` when that setting exists, else to `ADMINS`.
All times come from `now`, so tests drive the watchdog with a controlled clock.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import mail_admins, send_mail
from django.utils import timezone

from forecasting.models import ForecastRun
from inventory_project.jobs.models import Alert, JobRun
from inventory_project.jobs.registry import JobName
from inventory_project.jobs.runner import (
    JobAlreadyRunning,
    JobContext,
    mark_stale_runs_dead,
    resolve_alerts,
    run_job,
)

logger = logging.getLogger(__name__)

STUCK_RUN = "stuck_run"
MISSED_FORECAST = "missed_forecast"
HEALTH_FAILURES = "health_failures"


def run_watchdog(*, now: datetime | None = None) -> dict:
    """Run the three checks once and return what was decided."""
    now = now or timezone.now()
    return {
        "checked_at": now.isoformat(),
        "stuck_runs": check_stuck_runs(now),
        "forecast": check_forecast(now),
        "health": check_health(now),
    }


def raise_alert(kind: str, message: str, details: dict, now: datetime) -> Alert:
    """Record, log and e-mail one alert."""
    alert = Alert.objects.create(kind=kind, message=message, details=details, created_at=now)
    logger.error("Alert %s (%s): %s", alert.pk, kind, message)
    subject = f"[{settings.ENVIRONMENT}] Inventory alert: {kind}"
    body = f"{message}\n\nDetails: {details}\nRaised at {now.isoformat()} (alert {alert.pk})."
    recipients = getattr(settings, "REPORT_RECIPIENTS", [])
    # A mail server outage must not stop the other checks; the alert is recorded and logged.
    try:
        if recipients:
            send_mail(subject, body, None, list(recipients))
        else:
            mail_admins(subject, body)
    except Exception:
        logger.exception("Alert %s could not be e-mailed", alert.pk)
    return alert


def _resolve(alerts, now: datetime, reason: str) -> int:
    resolved = resolve_alerts(alerts=alerts, now=now)
    if resolved:
        logger.info("Watchdog: resolved %s alert(s): %s", resolved, reason)
    return resolved


def check_stuck_runs(now: datetime) -> dict:
    """Mark silent runs dead (freeing their locks), alert on each, resolve healed ones."""
    dead = mark_stale_runs_dead(now)
    for run in dead:
        raise_alert(
            STUCK_RUN,
            f"Job {run.name} run {run.pk} stopped heartbeating; marked dead, lock released.",
            {"job": run.name, "run": run.pk, "last_heartbeat": run.heartbeat_at.isoformat()},
            now,
        )
    # A stuck-run alert stays open until its job has succeeded since.
    for alert in Alert.objects.filter(kind=STUCK_RUN, resolved_at__isnull=True):
        healed = JobRun.objects.filter(
            name=alert.details.get("job"),
            status=JobRun.Status.SUCCEEDED,
            started_at__gt=alert.created_at,
        )
        if healed.exists():
            _resolve(Alert.objects.filter(pk=alert.pk), now, f"job {alert.details.get('job')} ok")
    decision = f"marked {len(dead)} stuck run(s) dead" if dead else "no stuck runs"
    logger.info("Watchdog: %s", decision)
    return {"decision": decision, "dead_runs": [run.pk for run in dead]}


def _rerun_forecast() -> dict:
    # Imported here: the forecast brings NumPy, which the watchdog's other checks, every five
    # minutes, do without.
    from forecasting.services import run_forecast

    def task(context: JobContext) -> dict:
        # A heartbeat per batch keeps this run from looking stuck to the next watchdog pass.
        run = run_forecast(progress=lambda _run: context.heartbeat())
        return {"forecast_run": run.pk, "health": run.health}

    job = run_job(JobName.FORECAST, task, trigger=JobRun.Trigger.WATCHDOG)
    return {"job_run": job.pk, "status": job.status, **job.result}


def _heal_forecast(
    now: datetime, late: timedelta, window: timedelta, what: str
) -> tuple[str, dict]:
    """Re-run the forecast and alert; `late` is how long there has been no good forecast."""
    try:
        rerun = _rerun_forecast()
    except JobAlreadyRunning as exc:
        # Someone runs it right now: that run heals it, or the next pass re-runs it.
        return "daily forecast is late and already running; not re-run", {"holder": exc.holder}
    except Exception as exc:
        # run_job has recorded the failed run; the alert says so and the window holds the retry.
        rerun = {"status": JobRun.Status.FAILED, "error": f"{type(exc).__name__}: {exc}"}
    raise_alert(
        MISSED_FORECAST,
        f"{what} (more than {window}); the watchdog re-ran it: {rerun['status']}.",
        {"late_seconds": late.total_seconds(), "rerun": rerun},
        now,
    )
    return f"daily forecast is late; re-run {rerun['status']}", rerun


def check_forecast(now: datetime) -> dict:
    """Re-run a missed daily forecast, at most once per window, and alert."""
    window = timedelta(hours=settings.FORECAST_INTERVAL_HOURS * 1.5)
    last = (
        ForecastRun.objects.filter(
            kind=ForecastRun.Kind.FORECAST,
            status=ForecastRun.Status.SUCCEEDED,
            finished_at__isnull=False,
        )
        .order_by("-finished_at")
        .first()
    )
    answer = {"last_succeeded": last.finished_at.isoformat() if last else None}
    # Without a success ever, the first attempt is what the forecast is late against: a new
    # installation whose every forecast fails must not stay silent for ever.
    first_try = (
        None
        if last is not None
        else JobRun.objects.filter(name=JobName.FORECAST).order_by("started_at").first()
    )
    since = last.finished_at if last is not None else first_try and first_try.started_at
    if since is None:
        decision = "no daily forecast has been tried yet; nothing to be late against"
    elif now - since <= window and last is None:
        decision = "no daily forecast has succeeded yet; the first try is within the window"
    elif now - since <= window:
        decision = "daily forecast is on time"
        _resolve(Alert.objects.filter(kind=MISSED_FORECAST), now, "daily forecast on time")
    elif Alert.objects.filter(kind=MISSED_FORECAST, created_at__gt=now - window).exists():
        decision = "daily forecast is late, but it was already re-run in this window"
    else:
        what = (
            f"The daily forecast last succeeded {now - since} ago"
            if last is not None
            else f"No daily forecast has succeeded since the first try {now - since} ago"
        )
        decision, answer["rerun"] = _heal_forecast(now, now - since, window, what)
    logger.info("Watchdog: %s", decision)
    return {"decision": decision, **answer}


def check_health(now: datetime) -> dict:
    """Count consecutive failing daily forecasts; alert once at MAX_HEALTH_FAILURES."""
    limit = settings.MAX_HEALTH_FAILURES
    latest = ForecastRun.objects.filter(
        kind=ForecastRun.Kind.FORECAST, status=ForecastRun.Status.SUCCEEDED
    ).order_by("-finished_at", "-id")[:limit]
    failures = 0
    for run in latest:
        if run.health != ForecastRun.Health.FAILING:
            break
        failures += 1
    open_alert = Alert.objects.filter(kind=HEALTH_FAILURES, resolved_at__isnull=True)
    if failures < limit:
        decision = f"{failures} consecutive health failure(s), under {limit}"
        _resolve(open_alert, now, "forecast health recovered")
    elif open_alert.exists():
        decision = f"{failures} consecutive health failures; already alerted"
    else:
        decision = f"{failures} consecutive health failures; alerted"
        raise_alert(
            HEALTH_FAILURES,
            f"The last {failures} daily forecasts all had failing health "
            f"(pooled WAPE over {settings.MAPE_THRESHOLD:g}%).",
            {"failures": failures, "runs": [run.pk for run in latest]},
            now,
        )
    logger.info("Watchdog: %s", decision)
    return {"decision": decision, "consecutive_failures": failures}
