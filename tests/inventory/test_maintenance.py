"""The maintenance job: its v20 result, the cache it warms, and how it starts (command, API)."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from inventory.cached_responses import SUMMARY
from inventory.maintenance import run_maintenance
from inventory_project.api.models import IdempotentRequest
from inventory_project.jobs.models import JobLock, JobRun
from items.cached_responses import ITEM_LIST_ACTIVE
from tests.conftest import user_with_role
from tests.helpers import UNREACHABLE_REDIS

pytestmark = pytest.mark.django_db


def test_the_result_has_the_v20_shape(stocked):
    result = run_maintenance()

    assert set(result) == {"success", "duration", "tasks_completed", "tasks_total", "results"}
    assert result["success"] is True
    assert result["tasks_completed"] == result["tasks_total"] == 4
    assert [r["task"] for r in result["results"]] == [
        "warm_cache",
        "database_health",
        "cache_statistics",
        "expired_idempotency_keys",
    ]


def test_the_database_check_counts_what_is_there(stocked):
    health = run_maintenance()["results"][1]

    assert health["counts"] == {"items": 1, "locations": 1, "stock_records": 1, "movements": 1}
    assert health["ping_ms"] >= 0


def test_idempotency_keys_past_their_hours_are_deleted_and_live_ones_kept(settings):
    settings.IDEMPOTENCY_KEY_HOURS = 24
    staff = user_with_role("staff", email="keys@example.com")
    now = timezone.now()
    for key, age in (("old", 25), ("live", 23)):
        IdempotentRequest.objects.create(
            user=staff,
            key=key,
            route="/api/inventory/receive",
            fingerprint="f",
            created_at=now - timedelta(hours=age),
        )

    purge = run_maintenance()["results"][3]

    assert purge["deleted"] == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["live"]


def test_warming_stores_exactly_the_bytes_the_api_serves(api_client, stocked):
    run_maintenance()
    warmed_summary = SUMMARY.cached_body()
    warmed_items = ITEM_LIST_ACTIVE.cached_body()

    summary = api_client.get("/api/inventory/summary")
    items = api_client.get("/api/items?active=true")

    assert (summary["X-Cache"], items["X-Cache"]) == ("HIT", "HIT")
    assert summary.content == warmed_summary
    assert items.content == warmed_items


def test_warmed_items_equal_a_fresh_uncached_answer(api_client, stocked):
    run_maintenance()

    cached = api_client.get("/api/items?active=true")
    fresh = api_client.get("/api/items?active=true&ordering=name")

    assert fresh["X-Cache"] == "BYPASS"
    assert cached.json() == fresh.json()


def test_a_failed_task_counts_as_not_completed_and_the_others_still_run(stocked, settings):
    settings.CACHES = UNREACHABLE_REDIS

    result = run_maintenance()

    outcome = {r["task"]: r["success"] for r in result["results"]}
    assert outcome == {
        "warm_cache": False,
        "database_health": True,
        "cache_statistics": False,
        "expired_idempotency_keys": True,
    }
    assert result["tasks_completed"] == 2
    assert result["success"] is False
    assert all("error" in r for r in result["results"] if not r["success"])


def test_the_command_records_a_successful_run(stocked):
    call_command("maintenance", "--trigger", "cron")

    run = JobRun.objects.get(name="maintenance")
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.trigger == "cron"
    assert run.result["tasks_completed"] == 4


def test_the_command_exits_non_zero_when_a_task_fails(stocked, settings):
    settings.CACHES = UNREACHABLE_REDIS

    with pytest.raises(CommandError):
        call_command("maintenance")

    assert JobRun.objects.get(name="maintenance").status == JobRun.Status.FAILED


def test_the_command_exits_non_zero_while_another_host_runs_the_job(stocked):
    JobLock.objects.create(name="maintenance", holder="other:1:x", heartbeat_at=timezone.now())

    with pytest.raises(CommandError, match="already running"):
        call_command("maintenance")


def test_the_api_runs_the_job_and_answers_the_v20_shape(api_client, stocked):
    response = api_client.post("/jobs/maintenance")

    body = response.json()
    assert response.status_code == 200
    assert body["success"] is True
    assert body["message"] == "Maintenance completed"
    assert body["data"]["tasks_total"] == 4
    assert JobRun.objects.get(name="maintenance").trigger == "api"


def test_the_api_answers_409_while_the_job_runs_elsewhere(api_client, stocked):
    JobLock.objects.create(name="maintenance", holder="other:1:x", heartbeat_at=timezone.now())

    response = api_client.post("/jobs/maintenance")

    assert response.status_code == 409
    assert response.json()["code"] == "job_running"
    assert not JobRun.objects.filter(name="maintenance").exists()
