"""`manage.py` commands of the forecasting app: thin entry points into its services."""
