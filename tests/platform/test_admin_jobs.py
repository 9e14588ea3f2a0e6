"""The admin pages of job runs and alerts: admins see them and resolve alerts; nobody edits."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inventory_project.jobs.models import Alert, JobRun
from tests.conftest import user_with_role

pytestmark = pytest.mark.django_db


def signed_in(role: str) -> Client:
    client = Client()
    client.force_login(user_with_role(role, email=f"{role}-jobs@example.com", is_staff=True))
    return client


@pytest.fixture
def open_alert():
    return Alert.objects.create(kind="stuck_run", message="Job forecast stopped heartbeating")


def test_an_admin_sees_the_job_runs(db):
    JobRun.objects.create(name="forecast", status=JobRun.Status.SUCCEEDED, host="web-1")

    response = signed_in("admin").get(reverse("admin:inventory_project_jobrun_changelist"))

    assert response.status_code == 200
    assert [run.name for run in response.context["cl"].result_list] == ["forecast"]


def test_a_job_run_cannot_be_edited_in_the_admin(db):
    run = JobRun.objects.create(name="forecast", status=JobRun.Status.FAILED, error="boom")
    client = signed_in("admin")

    page = client.get(reverse("admin:inventory_project_jobrun_change", args=[run.pk]))
    client.post(
        reverse("admin:inventory_project_jobrun_change", args=[run.pk]),
        {"status": "succeeded", "error": ""},
    )

    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    run.refresh_from_db()
    assert (run.status, run.error) == (JobRun.Status.FAILED, "boom")


def test_the_open_filter_lists_only_open_alerts(open_alert):
    Alert.objects.create(kind="stuck_run", message="old", resolved_at=timezone.now())

    response = signed_in("admin").get(
        reverse("admin:inventory_project_alert_changelist"), {"state": "open"}
    )

    assert [alert.pk for alert in response.context["cl"].result_list] == [open_alert.pk]


def test_an_admin_resolves_an_alert(open_alert):
    response = signed_in("admin").post(
        reverse("admin:inventory_project_alert_changelist"),
        {"action": "resolve", "_selected_action": [open_alert.pk]},
    )

    assert response.status_code == 302
    open_alert.refresh_from_db()
    assert open_alert.resolved_at is not None


def test_resolving_an_alert_removes_it_from_the_readiness_answer(open_alert, api_client):
    before = api_client.get("/api/health/status").json()

    signed_in("admin").post(
        reverse("admin:inventory_project_alert_changelist"),
        {"action": "resolve", "_selected_action": [open_alert.pk]},
    )

    after = api_client.get("/api/health/status").json()
    assert [a["message"] for a in before["alerts"]] == [open_alert.message]
    assert after["alerts"] == []


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_staff_and_viewers_cannot_see_or_resolve_alerts(role, open_alert):
    client = signed_in(role)

    page = client.get(reverse("admin:inventory_project_alert_changelist"))
    client.post(
        reverse("admin:inventory_project_alert_changelist"),
        {"action": "resolve", "_selected_action": [open_alert.pk]},
    )

    assert page.status_code == 403
    open_alert.refresh_from_db()
    assert open_alert.resolved_at is None
