"""`manage.py` commands of the items app: thin entry points into its services."""
