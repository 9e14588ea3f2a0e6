"""The Procfile's web server (`python -m inventory_project.server`): how it listens and what a
request sees of the server's environment."""

import http.client
import socket
import stat
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from inventory_project import server
from tests.helpers import start_web_server


def _answer(environ):
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        return []

    server.without_server_environment(app, {"SECRET_KEY": "s3cret", "HTTP_PROXY": "http://p"})(
        environ, lambda *args: None
    )
    return seen


def test_a_request_does_not_see_the_servers_secrets():
    seen = _answer({"SECRET_KEY": "s3cret", "PATH_INFO": "/api/health"})

    assert "SECRET_KEY" not in seen
    assert seen["PATH_INFO"] == "/api/health"


def test_a_server_variable_named_like_a_header_is_not_taken_for_one():
    assert "HTTP_PROXY" not in _answer({"HTTP_PROXY": "http://p"})


def test_a_header_the_client_sent_is_kept_even_if_the_server_has_a_variable_of_its_name():
    assert _answer({"HTTP_PROXY": "http://client"})["HTTP_PROXY"] == "http://client"


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("127.0.0.1", timeout=10)
        self.socket_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.socket_path)


def _health_over(socket_path: Path, deadline: float) -> int:
    while True:
        try:
            connection = UnixHTTPConnection(str(socket_path))
            connection.request("GET", "/api/health", headers={"Host": "127.0.0.1"})
            return connection.getresponse().status
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.skipif(django_settings.REDIS_URL != "", reason="runs once, on the embedded default")
def test_the_server_serves_on_a_unix_socket_a_killed_run_left_behind_and_nginx_may_use_it():
    work = Path(tempfile.mkdtemp(prefix="web-socket-test-"))
    socket_path = work / "web.sock"
    # What a server killed with SIGKILL leaves: a socket file nobody listens on.
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(socket_path))
    stale.close()
    started = start_web_server(work, WEB_BIND=f"unix:{socket_path}", WEB_CONCURRENCY="1")
    try:
        status = _health_over(socket_path, time.monotonic() + 30)
        mode = stat.S_IMODE(socket_path.stat().st_mode)
    finally:
        started.terminate()
        started.wait(timeout=60)

    assert status == 200
    # Owner and group (nginx's) may connect; nobody else.
    assert mode == 0o660
