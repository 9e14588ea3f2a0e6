"""A Redis that stops in the middle of work: requests keep succeeding from the database, and
the cache comes back by itself when Redis does. Runs a private redis-server of its own."""

import os
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from inventory_project.http import response_cache
from tests.conftest import client_for, user_with_role
from tests.helpers import free_port

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server(settings):
    server = PrivateRedis()
    server.start()
    settings.REDIS_URL = f"redis://127.0.0.1:{server.port}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    settings.CACHE_RETRY_SECONDS = 0
    yield server
    server.stop()


def _names(response):
    return {row["sku"] for row in response.json()["data"]}


def test_the_api_survives_redis_stopping_and_uses_it_again_when_it_returns(
    api_client, item, redis_server
):
    assert api_client.get("/api/items")["X-Cache"] == "MISS"
    assert api_client.get("/api/items")["X-Cache"] == "HIT"

    redis_server.stop()
    during = api_client.get("/api/items")
    created = api_client.post("/api/items", {"sku": "SKU-DOWN", "name": "Outage"}, format="json")
    after_write = api_client.get("/api/items")
    health = api_client.get("/api/health/status")

    redis_server.start()
    first_back = api_client.get("/api/items")
    second_back = api_client.get("/api/items")

    assert during.status_code == 200
    assert during["X-Cache"] == "MISS"
    assert created.status_code == 201
    assert "SKU-DOWN" in _names(after_write)
    assert health.status_code == 200
    assert health.json()["redis"]["connected"] is False
    assert first_back["X-Cache"] == "MISS"
    assert second_back["X-Cache"] == "HIT"
    assert "SKU-DOWN" in _names(second_back)


def _warm(client, sku):
    for path in (f"/api/items/{sku}", "/api/items"):
        client.get(path)
    assert client.get(f"/api/items/{sku}")["X-Cache"] == "HIT"


def _names_seen(client, sku, reads=20):
    names = [client.get(f"/api/items/{sku}").json()["data"]["name"] for _ in range(reads)]
    names += [
        {row["sku"]: row["name"] for row in client.get("/api/items").json()["data"]}[sku]
        for _ in range(reads)
    ]
    return names


# Committed for real: the bump that matters runs when the write commits.
@pytest.mark.django_db(transaction=True)
def test_a_write_while_redis_hangs_is_never_followed_by_stale_answers_after_the_thaw(
    api_client, staff_client, item, redis_server
):
    _warm(api_client, item.sku)
    # What another worker knows: it read the database's halves just now and sees no failure.
    other_worker = response_cache._database_halves

    # Frozen, not stopped: the port accepts connections and nothing answers.
    os.kill(redis_server.process.pid, signal.SIGSTOP)
    try:
        renamed = staff_client.patch(
            f"/api/items/{item.sku}", {"name": "Renamed while frozen"}, format="json"
        )
    finally:
        os.kill(redis_server.process.pid, signal.SIGCONT)
    response_cache.reset_state()
    response_cache._database_halves = other_worker

    assert renamed.status_code == 200
    assert _names_seen(api_client, item.sku) == ["Renamed while frozen"] * 40


# Committed for real: the bump that matters runs when the write commits.
@pytest.mark.django_db(transaction=True)
def test_a_write_while_reads_back_off_still_reaches_a_redis_that_answers_again(
    api_client, staff_client, item, redis_server, settings
):
    _warm(api_client, item.sku)
    other_worker = response_cache._database_halves
    # This worker saw Redis fail a moment ago; Redis has answered again since.
    settings.CACHE_RETRY_SECONDS = 60
    response_cache._failed("get")

    renamed = staff_client.patch(f"/api/items/{item.sku}", {"name": "Renamed"}, format="json")
    # Another worker, its copy of the database's halves still fresh, reads from Redis.
    response_cache.reset_state()
    response_cache._database_halves = (time.monotonic(), other_worker[1])

    assert renamed.status_code == 200
    assert _names_seen(api_client, item.sku) == ["Renamed"] * 40


class HangingServer:
    """A TCP port that accepts connections and never answers: a Redis that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_a_hanging_redis_is_tried_once_then_left_alone_by_every_cache_user(settings):
    # Rate limiting, the callers' cached state and the response cache share one back-off; before,
    # the first two waited for their timeouts on every request.
    client = client_for(user_with_role("viewer", email="hang@example.com"))
    server = HangingServer()
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{server.port}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    settings.CACHE_RETRY_SECONDS = 300
    response_cache.reset_state()
    try:
        first = client.get("/api/inventory/summary")
        tried = server.connections
        later = [client.get("/api/inventory/summary").status_code for _ in range(3)]
    finally:
        server.close()
        response_cache.reset_state()

    assert first.status_code == 200
    assert tried >= 1
    assert later == [200, 200, 200]
    assert server.connections == tried
