"""Small helpers for tests: markers and ledger invariants."""

import socket
from decimal import Decimal

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
