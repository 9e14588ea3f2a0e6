"""Small helpers for tests: markers and ledger invariants."""

import os
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum

from inventory.models import StockMovement, StockRecord

# A cache that cannot be reached (nothing listens on port 1): a real connection refused.
UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}

on_redis = pytest.mark.skipif(
    not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"),
    reason="needs the Redis cache (REDIS_URL)",
)

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: real row locks and concurrent connections",
)


def assert_ledger_balances() -> None:
    """Every stock record's quantity equals the sum of its movements' deltas."""
    for record in StockRecord.objects.all():
        total = StockMovement.objects.filter(stock_record=record).aggregate(
            total=Sum("quantity_delta")
        )["total"] or Decimal(0)
        total = total.quantize(Decimal("0.001"))  # SQLite sums decimals as floats
        assert record.quantity == total, f"{record}: {record.quantity} != ledger {total}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_web_server(work: Path, **env_vars: str) -> subprocess.Popen:
    """The Procfile's web server on a fresh, migrated SQLite database in `work`, with `env_vars`.

    The caller waits for it to answer, and terminates it.
    """
    root = Path(settings.BASE_DIR)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}", "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=root, env=env, check=True, timeout=120
    )
    return subprocess.Popen(
        [sys.executable, "-m", "inventory_project.server"],
        cwd=root,
        env={**env, **env_vars},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
