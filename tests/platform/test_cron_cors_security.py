"""Cron registration, CORS, and a production configuration that passes `check --deploy`."""

import json
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command, execute_from_command_line

ROOT = Path(django_settings.BASE_DIR)


@pytest.fixture
def crontab_stand_in(tmp_path, settings):
    """A `crontab` executable that keeps the table in a file: there is no cron daemon here."""
    table = tmp_path / "table"
    script = tmp_path / "crontab"
    script.write_text(
        f'#!/bin/sh\nif [ "$1" = "-l" ]; then cat "{table}" 2>/dev/null; '
        f'else cp "$1" "{table}"; fi\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    settings.CRONTAB_EXECUTABLE = str(script)
    return table


def _schedules() -> dict[str, str]:
    """Command name -> its cron schedule, for single and multi-command cron lines."""
    schedules = {}
    for schedule, _function, args in django_settings.CRONJOBS:
        commands = args if isinstance(args[0], list) else [args]
        schedules.update({command[0]: schedule for command in commands})
    return schedules


def test_the_maintenance_schedule_comes_from_the_environment_default():
    assert _schedules()["maintenance"] == "5 2 * * *"


def test_the_daily_forecast_runs_on_the_maintenance_line_after_it():
    (daily,) = [job for job in django_settings.CRONJOBS if job[0] == django_settings.CRON_DAILY]

    assert [command[0] for command in daily[2]] == ["maintenance", "forecast"]


def test_the_retrain_runs_weekly_on_sunday_mornings():
    assert _schedules()["retrain"] == "0 4 * * 0"


def test_the_report_and_the_watchdog_have_their_schedules():
    schedules = _schedules()

    assert (schedules["send_forecast_report"], schedules["watchdog"]) == (
        "20 2 * * *",
        "*/5 * * * *",
    )


def test_crontab_add_registers_every_job(crontab_stand_in):
    call_command("crontab", "add")

    lines = crontab_stand_in.read_text().splitlines()
    assert len(lines) == len(django_settings.CRONJOBS)
    assert lines[0].startswith("5 2 * * * ")
    assert "crontab run" in lines[0]


def test_crontab_remove_takes_the_jobs_out_again(crontab_stand_in):
    call_command("crontab", "add")

    call_command("crontab", "remove")

    assert crontab_stand_in.read_text().strip() == ""


@pytest.fixture
def no_crontab_program(tmp_path, settings):
    """A machine without cron: the configured `crontab` program does not exist."""
    settings.CRONTAB_EXECUTABLE = str(tmp_path / "bin" / "crontab")
    return tmp_path


def test_crontab_add_without_the_crontab_program_is_refused_with_a_clear_message(
    no_crontab_program,
):
    with pytest.raises(CommandError) as refused:
        call_command("crontab", "add")

    assert str(refused.value) == (
        f"Cannot add the cron jobs: the crontab program ({no_crontab_program}/bin/crontab) is "
        "not installed. Install cron first (Debian: apt-get install cron)."
    )
    assert list(no_crontab_program.iterdir()) == []


def test_manage_py_crontab_show_without_the_crontab_program_exits_1(no_crontab_program, capsys):
    with pytest.raises(SystemExit) as exited:
        # The suite runs with DEBUG off and test secrets: the deploy checks are not the subject.
        execute_from_command_line(["manage.py", "crontab", "show", "--skip-checks"])

    assert exited.value.code == 1
    assert "the crontab program" in capsys.readouterr().err


RUN = """
import os, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_project.settings")
django.setup()
from inventory_project.jobs.cron import run_command
run_command(*sys.argv[1:])
"""


def _cron_run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBUG": "true"}
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-c", RUN, *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_a_scheduled_command_that_fails_exits_non_zero():
    # With DEBUG on, the deployment checks warn, and --fail-level WARNING makes that a failure.
    failed = _cron_run("check", "--deploy", "--fail-level", "WARNING")

    assert failed.returncode == 1
    assert "Scheduled command check failed" in failed.stderr


def test_a_scheduled_command_that_succeeds_exits_zero():
    assert _cron_run("check").returncode == 0


RUN_SEVERAL = """
import json, os, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_project.settings")
django.setup()
from inventory_project.jobs.cron import run_commands
run_commands(*json.loads(sys.argv[1]))
"""


def _cron_run_several(*commands: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBUG": "true"}
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-c", RUN_SEVERAL, json.dumps(commands)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_cron_line_runs_its_later_commands_after_a_failure_and_exits_non_zero():
    result = _cron_run_several(["check", "--deploy", "--fail-level", "WARNING"], ["check"])

    assert result.returncode == 1
    assert "Scheduled command check failed" in result.stderr
    assert "System check identified no issues" in result.stdout  # the second one ran


def test_a_cron_line_whose_commands_all_succeed_exits_zero():
    assert _cron_run_several(["check"], ["check"]).returncode == 0


@pytest.mark.django_db
def test_an_allowed_origin_gets_cors_headers(anon_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]

    response = anon_client.get("/api/health", HTTP_ORIGIN="https://app.example.com")

    assert response["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "X-Request-ID" in response["Access-Control-Expose-Headers"]


def test_a_browser_may_send_an_idempotency_key_and_read_the_replay_header(anon_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]

    preflight = anon_client.options(
        "/api/inventory/receive",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )
    answer = anon_client.get("/api/health", HTTP_ORIGIN="https://app.example.com")

    assert "idempotency-key" in preflight["Access-Control-Allow-Headers"]
    assert "Idempotent-Replayed" in answer["Access-Control-Expose-Headers"]


@pytest.mark.django_db
def test_another_origin_gets_no_cors_headers(anon_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]

    response = anon_client.get("/api/health", HTTP_ORIGIN="https://evil.example.net")

    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.django_db
def test_responses_carry_security_headers(anon_client):
    response = anon_client.get("/api/health")

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SECRET": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "inventory.example.com",
    }

    checked = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
