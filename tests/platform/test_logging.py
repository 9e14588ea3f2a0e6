"""Logs: one access line per request, the request id on every line, JSON in production, and no
password or token anywhere."""

import io
import json
import logging

import pytest

from inventory_project.http.logging import DevFormatter, RequestIdFilter, route_template
from tests.conftest import user_with_role
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log():
    """The configured JSON formatter and request-id filter, writing every record to a buffer."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    spec = dict(settings.LOGGING["formatters"]["json"])
    formatter = import_string(spec.pop("()"))(**spec)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in ("django", "django.request")]
    for logger in loggers:
        logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)
    for logger in loggers:
        logger.removeHandler(handler)


def _access(lines):
    return [line for line in lines if line["logger"] == "inventory.access"]


def test_each_request_writes_one_access_line(api_client, api_user, item, json_log):
    api_client.get(f"/api/items/{item.sku}", HTTP_X_REQUEST_ID="req-42")

    (line,) = _access(json_log())
    assert line["method"] == "GET"
    assert line["route"] == "/api/items/{sku}"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["user"] == api_user.pk
    assert line["role"] == "admin"
    assert line["request_id"] == "req-42"


def test_unknown_paths_are_logged_as_unmatched(anon_client, json_log):
    anon_client.get("/api/wp-admin/setup.php")

    (line,) = _access(json_log())
    assert line["route"] == "unmatched"
    assert line["status"] == 404


def test_every_line_of_a_request_carries_its_request_id(api_client, json_log):
    api_client.post("/jobs/maintenance", HTTP_X_REQUEST_ID="job-run-7")

    lines = json_log()
    job_lines = [line for line in lines if line["logger"] == "inventory_project.jobs.runner"]
    assert job_lines
    assert {line["request_id"] for line in lines} == {"job-run-7"}


def test_every_json_line_has_the_fields_ops_search_by(anon_client, json_log):
    anon_client.get("/api/health")

    for line in json_log():
        assert {"timestamp", "level", "logger", "message", "request_id"} <= set(line)


def test_no_password_or_token_reaches_the_log(anon_client, json_log):
    user_with_role("staff", email="cook@example.com")
    anon_client.post(
        "/api/auth/login", {"email": "cook@example.com", "password": "wrong-pass-9"}, format="json"
    )
    login = anon_client.post(
        "/api/auth/login", {"email": "cook@example.com", "password": TEST_PASSWORD}, format="json"
    )
    token = login.json()["data"]["token"]
    refresh = login.json()["data"]["refresh"]
    anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    anon_client.get("/api/items?token=" + token)
    anon_client.post("/api/auth/refresh", {"refresh": refresh}, format="json")

    text = json.dumps(json_log())
    for secret in ("wrong-pass-9", TEST_PASSWORD, token, refresh):
        assert secret not in text


def test_the_development_format_shows_the_request_id():
    record = logging.LogRecord("inventory", logging.INFO, __file__, 1, "counted", None, None)
    RequestIdFilter().filter(record)

    line = DevFormatter().format(record)

    assert "INFO" in line
    assert "[-]" in line
    assert line.endswith("counted")


def test_route_template_names_no_raw_path(client):
    response = client.get("/api/locations/WALK-IN")

    assert route_template(response.wsgi_request) == "/api/locations/{code}"
