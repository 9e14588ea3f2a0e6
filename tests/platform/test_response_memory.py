"""A served API response is freed as soon as it is sent, not left in a reference cycle.

A whole list's response holds its rows and their JSON (31 MB for 20,000 stock rows); held in a
cycle, it would stay in the worker until the collector's next full pass.
"""

import gc
import io
import weakref

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from accounts.tokens import tokens_for_user

pytestmark = pytest.mark.django_db

_served = []


class KeepWeakReferenceToResponse:
    """Test middleware, outermost: remembers each response without keeping it alive."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        _served.append(weakref.ref(response))
        return response


@pytest.fixture
def wsgi_app(settings):
    settings.MIDDLEWARE = [f"{__name__}.KeepWeakReferenceToResponse", *settings.MIDDLEWARE]
    _served.clear()
    # As Django's test client does: the test's transaction must keep its connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def no_cycle_collector():
    gc.collect()
    gc.disable()
    yield
    gc.enable()


def _serve(app, path: str, token: str) -> list[str]:
    path_info, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "wsgi.url_scheme": "https" if settings.SECURE_SSL_REDIRECT else "http",
        "wsgi.input": io.BytesIO(),
    }
    statuses = []
    response = app(environ, lambda status, headers: statuses.append(status))
    b"".join(response)
    response.close()
    return statuses


@pytest.mark.parametrize(
    "path", ["/api/inventory?ordering=item_name", "/api/items?ordering=name", "/api/nowhere"]
)
def test_a_served_response_is_freed_without_the_cycle_collector(
    wsgi_app, api_user, stocked, no_cycle_collector, path
):
    statuses = _serve(wsgi_app, path, str(tokens_for_user(api_user).access_token))

    assert statuses[0][:3] in ("200", "404")
    assert len(_served) == 1
    assert _served[0]() is None
