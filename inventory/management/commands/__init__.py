"""`manage.py` commands of the inventory app: thin entry points into its services."""
