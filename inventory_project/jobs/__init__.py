"""Scheduled jobs: their names, run records, locks and alerts, the command base, cron."""
