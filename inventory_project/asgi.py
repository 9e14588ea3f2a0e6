"""ASGI entry point, for completeness; production runs the WSGI app (`inventory_project.server`)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_project.settings")

application = get_asgi_application()
