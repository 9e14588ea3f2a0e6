"""The names of the scheduled jobs, in one place.

A job's name is what its runs and its lock are recorded under (`JobRun.name`, `JobLock.name`),
what `/metrics` labels it with, and the name of the `manage.py` command that runs it (cron's
lines in the settings name these commands). The platform knows only the names; each job's work
belongs to its app.
"""

from enum import StrEnum


class JobName(StrEnum):
    MAINTENANCE = "maintenance"
    FORECAST = "forecast"
    RETRAIN = "retrain"
    SEND_FORECAST_REPORT = "send_forecast_report"
    WATCHDOG = "watchdog"
