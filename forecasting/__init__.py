"""Forecasting: demand history, per-item forecasts and their accuracy (built in its own issue)."""
