"""`manage.py` commands of the accounts app: thin entry points into its services."""
