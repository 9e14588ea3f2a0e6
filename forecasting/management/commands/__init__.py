"""`manage.py` commands of the forecasting app: thin doors into its services."""
