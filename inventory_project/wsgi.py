"""WSGI entry point of `inventory_project.server`. Refuses to start on a system check error.

`runserver` and `migrate` run Django's system checks; a WSGI server does not, so this module runs
them once at start-up: a production host with DEBUG off and no strong SECRET_KEY never serves.
"""

import logging
import os

from django.conf import settings
from django.core.checks import ERROR, run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_project.settings")

application = get_wsgi_application()

_errors = [m for m in run_checks() if m.level >= ERROR and not m.is_silenced()]
if _errors:
    raise ImproperlyConfigured(
        "Refusing to start: " + "; ".join(f"{m.id}: {m.msg}" for m in _errors)
    )

if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    logging.getLogger(__name__).warning(
        "No REDIS_URL: cache and rate-limit counters are per process; each worker counts alone."
    )
