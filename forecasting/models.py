"""Forecasting models arrive with the forecasting issue; the app exists so its home is fixed."""
