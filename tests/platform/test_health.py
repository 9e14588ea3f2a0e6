"""Health: liveness touches nothing; readiness really checks, and says 503 without a database."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from tests.factories import ItemFactory
from tests.helpers import UNREACHABLE_REDIS

pytestmark = pytest.mark.django_db


def test_liveness_answers_the_v20_shape_without_a_query(anon_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = anon_client.get("/api/health")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["service"] == "inventory-backend"
    assert body["version"] == django_settings.APP_VERSION
    assert "timestamp" in body


def test_readiness_reports_database_redis_migrations_and_features(anon_client):
    ItemFactory.create_batch(3)

    response = anon_client.get("/api/health/status")

    body = response.json()
    assert response.status_code == 200
    assert body["database"] == {"connected": True, "items_count": 3}
    assert body["migrations"] == {"pending": 0}
    assert body["redis"]["configured"] is bool(django_settings.REDIS_URL)
    assert body["redis"]["connected"] is bool(django_settings.REDIS_URL)
    assert body["status"] == "ok"
    assert body["environment"] == django_settings.ENVIRONMENT
    assert set(body["features"]) >= {"redis_cache", "rate_limiting", "anonymous_read"}


def test_readiness_shows_the_last_run_of_each_job(anon_client):
    call_command("maintenance")

    jobs = anon_client.get("/api/health/status").json()["jobs"]

    assert jobs["maintenance"]["status"] == "succeeded"


def test_a_configured_redis_that_is_down_degrades_readiness_but_keeps_200(anon_client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHES = UNREACHABLE_REDIS

    response = anon_client.get("/api/health/status")

    assert response.status_code == 200
    assert response.json()["redis"]["connected"] is False
    assert response.json()["status"] == "degraded"


def test_readiness_is_never_rate_limited(anon_client, settings):
    settings.RATE_LIMIT_MAX = 2

    codes = {anon_client.get("/api/health/status").status_code for _ in range(5)}

    assert codes == {200}


PROBE = """
import json, os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_project.settings")
django.setup()
from django.test import Client
client = Client()
live = client.get("/api/health")
ready = client.get("/api/health/status")
print(json.dumps({"live": live.status_code, "ready": ready.status_code, "body": ready.json()}))
"""


def test_readiness_answers_503_when_the_database_is_unreachable():
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere",
        "DB_CONNECT_TIMEOUT": "1",
    }
    env.pop("REDIS_URL", None)

    probe = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60
    )

    answer = json.loads(probe.stdout.strip().splitlines()[-1])
    assert answer["live"] == 200
    assert answer["ready"] == 503
    assert answer["body"]["database"]["connected"] is False
    assert answer["body"]["status"] == "down"
