"""Management commands of the forecasting app."""
