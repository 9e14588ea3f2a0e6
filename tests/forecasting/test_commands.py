"""`manage.py forecast` and `manage.py retrain`: the services under the job lock, recorded."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from forecasting.history import last_history_day
from forecasting.models import ForecastRun, ItemModelChoice
from inventory_project.jobs.models import JobLock, JobRun
from tests.forecasting.support import steady_items, use_small_runs

pytestmark = pytest.mark.django_db

DAYS = 60


@pytest.fixture(autouse=True)
def _small_runs(settings):
    use_small_runs(settings, days=DAYS, horizon=7, holdout=7, batch_size=2, folds=2)


@pytest.fixture
def items():
    return steady_items(3, days=DAYS, end=last_history_day())


def run_command(name: str, *args: str) -> dict:
    out = StringIO()
    call_command(name, "--no-progress", *args, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def failing_service(**options):
    raise RuntimeError("out of memory")


def test_forecast_records_a_succeeded_job_run(items):
    run_command("forecast")

    job = JobRun.objects.get(name="forecast")
    assert job.status == JobRun.Status.SUCCEEDED
    assert job.trigger == JobRun.Trigger.MANUAL


def test_forecast_prints_the_run_summary(items):
    summary = run_command("forecast")

    run = ForecastRun.objects.get(kind=ForecastRun.Kind.FORECAST)
    assert summary["run"] == run.pk
    assert summary["kind"] == "forecast"
    assert summary["status"] == ForecastRun.Status.SUCCEEDED
    assert summary["history_end"] == last_history_day().isoformat()
    assert (summary["items"], summary["batches"]) == (3, 2)
    assert summary["health"] == run.health
    assert JobRun.objects.get(name="forecast").result == summary


def test_forecast_passes_batch_size_and_trigger_to_the_run(items):
    summary = run_command("forecast", "--batch-size", "10", "--trigger", "cron")

    assert summary["batches"] == 1
    assert JobRun.objects.get(name="forecast").trigger == JobRun.Trigger.CRON


def test_forecast_restart_replaces_an_unfinished_run(items):
    unfinished = ForecastRun.objects.create(
        kind=ForecastRun.Kind.FORECAST,
        status=ForecastRun.Status.FAILED,
        history_end=last_history_day(),
        config={"batch_size": 2, "history_days": DAYS, "horizon_days": 7, "holdout_days": 7},
    )

    summary = run_command("forecast", "--restart")

    unfinished.refresh_from_db()
    assert unfinished.status == ForecastRun.Status.REPLACED
    assert summary["run"] != unfinished.pk


def test_retrain_records_a_succeeded_job_run_and_the_choices(items):
    summary = run_command("retrain")

    assert JobRun.objects.get(name="retrain").status == JobRun.Status.SUCCEEDED
    assert summary["kind"] == "retrain"
    assert ItemModelChoice.objects.count() == len(items)


def test_a_failing_forecast_records_a_failed_job_run(monkeypatch, items):
    monkeypatch.setattr("forecasting.management.commands.forecast.run_forecast", failing_service)

    with pytest.raises((CommandError, RuntimeError)):
        run_command("forecast")

    job = JobRun.objects.get(name="forecast")
    assert job.status == JobRun.Status.FAILED
    assert "out of memory" in job.error
    assert JobLock.objects.get(name="forecast").holder == ""


def test_a_failing_forecast_exits_with_a_command_error(monkeypatch, items):
    monkeypatch.setattr("forecasting.management.commands.forecast.run_forecast", failing_service)

    with pytest.raises(CommandError, match="out of memory"):
        run_command("forecast")


def test_a_failing_retrain_exits_with_a_command_error(monkeypatch, items):
    monkeypatch.setattr("forecasting.management.commands.retrain.run_retrain", failing_service)

    with pytest.raises(CommandError, match="out of memory"):
        run_command("retrain")


def test_forecast_refuses_to_run_while_another_host_runs_it(items):
    JobLock.objects.create(name="forecast", holder="other:1:x", heartbeat_at=timezone.now())

    with pytest.raises(CommandError, match="already running"):
        run_command("forecast")

    assert not ForecastRun.objects.exists()
