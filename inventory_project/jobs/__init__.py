"""Scheduled jobs: run records, locks and alerts, the command base, cron, the /jobs/ routes."""
