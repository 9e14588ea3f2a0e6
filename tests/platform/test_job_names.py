"""The job names: one registry, the names stored in the job runs, each the name of its command."""

import pytest
from django.conf import settings
from django.core.management import call_command, get_commands, load_command_class

from inventory_project.jobs.command import JobCommand
from inventory_project.jobs.models import JobLock, JobRun
from inventory_project.jobs.registry import JobName
from inventory_project.jobs.runner import run_job

PROJECT_APPS = {"inventory_project", "accounts", "items", "inventory", "forecasting"}


def _job_commands() -> dict[str, JobCommand]:
    commands = {}
    for name, app in get_commands().items():
        if app in PROJECT_APPS:
            command = load_command_class(app, name)
            if isinstance(command, JobCommand):
                commands[name] = command
    return commands


def test_the_names_are_the_ones_the_runs_are_stored_under():
    assert sorted(JobName) == [
        "forecast",
        "maintenance",
        "retrain",
        "send_forecast_report",
        "watchdog",
    ]


def test_every_job_command_is_named_after_its_registered_job():
    commands = _job_commands()

    assert set(commands) == set(JobName)
    for name, command in commands.items():
        assert command.job_name == name
        assert isinstance(command.job_name, JobName)


def test_cron_runs_every_job_by_its_command():
    commands = []
    for _schedule, function, args in settings.CRONJOBS:
        lines = args if function.endswith(".run_commands") else [args]
        commands += [line[0] for line in lines]

    assert sorted(commands) == sorted(JobName)
    # Plain strings: django-crontab prints the lines when it adds or shows them.
    assert all(type(command) is str for command in commands)


@pytest.mark.django_db
def test_a_run_and_its_lock_are_stored_under_the_plain_name():
    run = run_job(JobName.WATCHDOG, lambda context: {})

    stored = JobRun.objects.get(pk=run.pk)
    assert type(stored.name) is str
    assert stored.name == "watchdog"
    assert JobLock.objects.get().name == "watchdog"


@pytest.mark.django_db
def test_a_command_records_its_run_under_its_job_name(monkeypatch):
    monkeypatch.setattr(
        "inventory.management.commands.maintenance.run_maintenance",
        lambda context: {"success": True},
    )

    call_command("maintenance")

    assert list(JobRun.objects.values_list("name", flat=True)) == [JobName.MAINTENANCE]
