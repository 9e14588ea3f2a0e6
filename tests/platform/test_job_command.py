"""Job commands: a task that raises is a CommandError (exit 1) and a failed job run."""

import pytest
from django.core.management import CommandError, call_command

from inventory_project.jobs.models import JobRun

pytestmark = pytest.mark.django_db


def test_a_job_task_that_raises_exits_with_a_command_error_and_a_failed_run(monkeypatch):
    def broken(context):
        raise RuntimeError("disk full")

    monkeypatch.setattr("inventory.management.commands.maintenance.run_maintenance", broken)

    with pytest.raises(CommandError, match="Maintenance failed: disk full"):
        call_command("maintenance")

    assert JobRun.objects.get(name="maintenance").status == JobRun.Status.FAILED
