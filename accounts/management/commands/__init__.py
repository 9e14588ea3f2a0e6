"""`manage.py` commands of the accounts app: thin doors into its services."""
