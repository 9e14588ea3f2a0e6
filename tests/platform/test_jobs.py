"""Job bookkeeping: every run recorded, one run at a time, stale locks taken over."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from inventory_project.jobs.models import JobLock, JobRun
from inventory_project.jobs.runner import JobAlreadyRunning, last_runs, run_job
from tests.helpers import postgres_only

pytestmark = pytest.mark.django_db


def test_a_successful_run_is_recorded_with_its_result_and_duration():
    run = run_job("nightly", lambda context: {"rows": 3}, trigger=JobRun.Trigger.CRON)

    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.result == {"rows": 3}
    assert run.trigger == "cron"
    assert run.duration_seconds >= 0
    assert run.finished_at >= run.started_at
    assert run.host


def test_the_lock_is_free_after_a_run():
    run_job("nightly", lambda context: {})

    assert JobLock.objects.get(name="nightly").holder == ""


def test_a_failing_task_leaves_a_failed_run_and_raises():
    def task(context):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        run_job("nightly", task)

    run = JobRun.objects.get(name="nightly")
    assert run.status == JobRun.Status.FAILED
    assert "disk full" in run.error
    assert JobLock.objects.get(name="nightly").holder == ""


def test_a_task_reporting_failure_is_a_failed_run():
    run = run_job("nightly", lambda context: {"success": False, "error": "one task failed"})

    assert run.status == JobRun.Status.FAILED
    assert run.error == "one task failed"


def test_a_second_run_while_the_first_is_alive_is_refused():
    def task(context):
        with pytest.raises(JobAlreadyRunning):
            run_job("nightly", lambda inner: {})
        return {}

    run_job("nightly", task)

    assert JobRun.objects.filter(name="nightly").count() == 1


def test_a_stale_lock_is_taken_over_and_its_silent_run_marked_dead():
    long_ago = timezone.now() - timedelta(hours=1)
    silent = JobRun.objects.create(name="nightly", started_at=long_ago, heartbeat_at=long_ago)
    JobLock.objects.create(
        name="nightly", holder="gone:1:abc", run=silent, acquired_at=long_ago, heartbeat_at=long_ago
    )

    run = run_job("nightly", lambda context: {})

    silent.refresh_from_db()
    assert silent.status == JobRun.Status.DEAD
    assert "taken over" in silent.error
    assert run.status == JobRun.Status.SUCCEEDED


def test_a_heartbeat_moves_the_run_and_the_lock():
    seen = {}

    def task(context):
        JobRun.objects.filter(pk=context.run.pk).update(heartbeat_at=timezone.now() - timedelta(1))
        context.heartbeat()
        seen["run"] = JobRun.objects.get(pk=context.run.pk).heartbeat_at
        seen["lock"] = JobLock.objects.get(name="nightly").heartbeat_at
        return {}

    run_job("nightly", task)

    assert timezone.now() - seen["run"] < timedelta(minutes=1)
    assert timezone.now() - seen["lock"] < timedelta(minutes=1)


def test_last_runs_answers_the_latest_run_of_each_job():
    run_job("a", lambda context: {})
    latest_a = run_job("a", lambda context: {"second": True})
    run_job("b", lambda context: {})

    runs = last_runs()

    assert set(runs) == {"a", "b"}
    assert runs["a"]["started_at"] == latest_a.started_at


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_hosts_starting_one_job_at_once_run_it_once():
    started = threading.Barrier(2)
    release = threading.Event()
    outcomes = []

    def task(context):
        release.wait(timeout=10)
        return {}

    def host():
        try:
            started.wait(timeout=10)
            run_job("nightly", task)
            outcomes.append("ran")
        except JobAlreadyRunning:
            outcomes.append("refused")
            release.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=host) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["ran", "refused"]
    assert JobRun.objects.filter(name="nightly").count() == 1
