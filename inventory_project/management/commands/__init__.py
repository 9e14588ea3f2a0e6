"""`manage.py` commands of the platform layer."""
