"""`manage.py` commands of the inventory app: thin doors into its services."""
