"""`manage.py` commands of the items app: thin doors into its services."""
