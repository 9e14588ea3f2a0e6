"""The watchdog: stuck runs, a missed daily forecast and repeated health failures.

The clock is controlled: `django.utils.timezone.now` is replaced, so the watchdog and the runs
it starts see the same time.
"""

import json
from datetime import timedelta
from io import StringIO

import numpy as np
import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from forecasting import engine, watchdog
from forecasting.history import last_history_day
from forecasting.models import ForecastRun
from forecasting.services import run_forecast
from forecasting.watchdog import run_watchdog
from inventory_project.jobs.models import Alert, JobLock, JobRun
from tests.forecasting.support import steady_items, use_small_runs

pytestmark = pytest.mark.django_db

DAYS = 30
START = timezone.now().replace(microsecond=0)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self):
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture(autouse=True)
def _watchdog_settings(settings):
    settings.SCHEDULER_WATCHDOG_TIMEOUT_MS = 120_000
    settings.JOB_STALE_SECONDS = 120
    settings.FORECAST_INTERVAL_HOURS = 24
    settings.MAX_HEALTH_FAILURES = 3
    settings.REPORT_RECIPIENTS = ["ops@example.com"]
    use_small_runs(settings, days=DAYS, horizon=7, holdout=7)


@pytest.fixture
def items():
    return steady_items(2, days=DAYS, end=last_history_day())


def forecast_run(finished_at, health=ForecastRun.Health.PASSING) -> ForecastRun:
    return ForecastRun.objects.create(
        kind=ForecastRun.Kind.FORECAST,
        status=ForecastRun.Status.SUCCEEDED,
        history_end=finished_at.date() - timedelta(days=1),
        started_at=finished_at - timedelta(minutes=5),
        finished_at=finished_at,
        health=health,
    )


def running_job(name: str, heartbeat_at) -> JobRun:
    run = JobRun.objects.create(name=name, started_at=heartbeat_at, heartbeat_at=heartbeat_at)
    JobLock.objects.create(
        name=name, holder="host:1:abc", run=run, acquired_at=heartbeat_at, heartbeat_at=heartbeat_at
    )
    return run


def watchdog_reruns() -> int:
    return JobRun.objects.filter(name="forecast", trigger=JobRun.Trigger.WATCHDOG).count()


def test_a_stuck_run_is_marked_dead_and_its_lock_released(clock):
    run = running_job("maintenance", clock.now - timedelta(minutes=3))

    result = run_watchdog()

    run.refresh_from_db()
    assert run.status == JobRun.Status.DEAD
    assert run.finished_at == clock.now
    assert JobLock.objects.get(name="maintenance").holder == ""
    assert result["stuck_runs"]["dead_runs"] == [run.pk]
    assert Alert.objects.get(kind=watchdog.STUCK_RUN).details["run"] == run.pk


def test_a_run_that_heartbeats_is_left_alone(clock):
    run = running_job("maintenance", clock.now - timedelta(seconds=30))

    run_watchdog()

    run.refresh_from_db()
    assert run.status == JobRun.Status.RUNNING
    assert JobLock.objects.get(name="maintenance").holder == "host:1:abc"
    assert not Alert.objects.exists()


def test_a_missed_forecast_is_re_run_once_and_alerted(clock, items):
    forecast_run(clock.now - timedelta(hours=37))

    first = run_watchdog()
    clock.advance(minutes=5)
    run_watchdog()

    assert watchdog_reruns() == 1
    assert first["forecast"]["rerun"]["status"] == JobRun.Status.SUCCEEDED
    assert ForecastRun.objects.filter(finished_at=START).count() == 1
    assert Alert.objects.filter(kind=watchdog.MISSED_FORECAST).count() == 1


def test_a_failing_re_run_is_not_retried_within_its_window(clock, monkeypatch):
    forecast_run(clock.now - timedelta(hours=37))

    def broken(**options):
        raise RuntimeError("out of memory")

    monkeypatch.setattr("forecasting.services.run_forecast", broken)

    first = run_watchdog()
    clock.advance(hours=35)
    second = run_watchdog()
    clock.advance(hours=2)
    run_watchdog()

    assert first["forecast"]["rerun"]["status"] == JobRun.Status.FAILED
    assert "already re-run in this window" in second["forecast"]["decision"]
    assert watchdog_reruns() == 2
    assert Alert.objects.filter(kind=watchdog.MISSED_FORECAST).count() == 2


def test_a_recent_forecast_triggers_nothing(clock):
    forecast_run(clock.now - timedelta(hours=30))

    result = run_watchdog()

    assert result["forecast"]["decision"] == "daily forecast is on time"
    assert watchdog_reruns() == 0
    assert not Alert.objects.exists()


def test_max_health_failures_in_a_row_raise_one_alert(clock):
    for hours in (3, 2, 1):
        forecast_run(clock.now - timedelta(hours=hours), health=ForecastRun.Health.FAILING)

    result = run_watchdog()
    run_watchdog()

    assert result["health"]["consecutive_failures"] == 3
    assert Alert.objects.filter(kind=watchdog.HEALTH_FAILURES).count() == 1


def test_fewer_health_failures_than_the_maximum_raise_nothing(clock):
    forecast_run(clock.now - timedelta(hours=3), health=ForecastRun.Health.FAILING)
    forecast_run(clock.now - timedelta(hours=2), health=ForecastRun.Health.PASSING)
    forecast_run(clock.now - timedelta(hours=1), health=ForecastRun.Health.FAILING)

    result = run_watchdog()

    assert result["health"]["consecutive_failures"] == 1
    assert not Alert.objects.exists()


def test_a_passing_forecast_resolves_the_health_alert(clock):
    for hours in (3, 2, 1):
        forecast_run(clock.now - timedelta(hours=hours), health=ForecastRun.Health.FAILING)
    run_watchdog()
    clock.advance(hours=1)
    forecast_run(clock.now)

    run_watchdog()

    assert Alert.objects.get(kind=watchdog.HEALTH_FAILURES).resolved_at == clock.now


def test_alerts_are_e_mailed(clock):
    running_job("maintenance", clock.now - timedelta(minutes=3))

    run_watchdog()

    (message,) = mail.outbox
    assert message.to == ["ops@example.com"]
    assert watchdog.STUCK_RUN in message.subject


def test_open_alerts_appear_in_the_readiness_answer(clock, anon_client):
    running_job("maintenance", clock.now - timedelta(minutes=3))
    run_watchdog()

    body = anon_client.get("/api/health/status").json()

    assert [alert["kind"] for alert in body["alerts"]] == [watchdog.STUCK_RUN]
    assert body["status"] == "ok"


def test_the_command_records_its_decisions_as_a_job_run(clock):
    out = StringIO()

    call_command("watchdog", stdout=out)

    run = JobRun.objects.get(name="watchdog")
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.result == json.loads(out.getvalue())
    assert run.result["stuck_runs"]["decision"] == "no stuck runs"


def test_a_forecast_tried_but_never_succeeded_is_late_after_the_window(clock, items):
    # A new installation whose forecasts all fail must not stay silent for ever.
    JobRun.objects.create(
        name="forecast",
        status=JobRun.Status.FAILED,
        started_at=clock.now - timedelta(hours=37),
        heartbeat_at=clock.now - timedelta(hours=37),
    )

    result = run_watchdog()

    assert result["forecast"]["rerun"]["status"] == JobRun.Status.SUCCEEDED
    alert = Alert.objects.get(kind=watchdog.MISSED_FORECAST)
    assert alert.message.startswith("No daily forecast has succeeded since the first try")


def test_a_first_forecast_try_within_the_window_triggers_nothing(clock):
    JobRun.objects.create(
        name="forecast",
        status=JobRun.Status.FAILED,
        started_at=clock.now - timedelta(hours=2),
        heartbeat_at=clock.now - timedelta(hours=2),
    )

    result = run_watchdog()

    assert "first try is within the window" in result["forecast"]["decision"]
    assert watchdog_reruns() == 0


def test_a_forecast_never_tried_triggers_nothing(clock):
    result = run_watchdog()

    assert result["forecast"]["decision"].startswith("no daily forecast has been tried yet")
    assert watchdog_reruns() == 0
    assert not Alert.objects.exists()


def test_a_deliberately_bad_forecast_fails_health_and_the_watchdog_alerts(
    clock, monkeypatch, items
):
    def five_times_too_much(y, horizon):
        return np.full(horizon, 5 * float(y[-7:].mean()))

    for name in engine.model_names():
        monkeypatch.setitem(engine.models(), name, five_times_too_much)
    for _ in range(3):
        run = run_forecast(resume=False)
        assert run.health == ForecastRun.Health.FAILING
        clock.advance(minutes=10)

    run_watchdog()

    assert Alert.objects.filter(kind=watchdog.HEALTH_FAILURES, resolved_at=None).count() == 1


def test_honest_forecasts_of_steady_items_leave_the_watchdog_silent(clock, items):
    for _ in range(3):
        assert run_forecast(resume=False).health == ForecastRun.Health.PASSING
        clock.advance(minutes=10)

    result = run_watchdog()

    assert result["health"]["consecutive_failures"] == 0
    assert not Alert.objects.exists()
