"""The running version (APP_VERSION): an X-App-Version header on every answer, the same in the
health answers and the OpenAPI document, and by default the package's own version."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

import inventory_project

pytestmark = pytest.mark.django_db

HEADER = "X-App-Version"


def _schema_version(client) -> str:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()["info"]["version"]


def test_an_api_answer_carries_the_version_header(api_client):
    response = api_client.get("/api/items")

    assert response.status_code == 200
    assert response[HEADER] == django_settings.APP_VERSION


def test_an_error_answer_carries_the_version_header(anon_client):
    response = anon_client.get("/api/items")

    assert response.status_code == 401
    assert response[HEADER] == django_settings.APP_VERSION


@pytest.mark.parametrize("path", ["/api/no-such-route", "/no-such-page"])
def test_a_404_carries_the_version_header(anon_client, path):
    response = anon_client.get(path)

    assert response.status_code == 404
    assert response[HEADER] == django_settings.APP_VERSION


@pytest.mark.parametrize("path", ["/api/health", "/api/health/status"])
def test_health_answers_carry_the_version_header_and_body(anon_client, path):
    response = anon_client.get(path)

    assert response[HEADER] == django_settings.APP_VERSION
    assert response.json()["version"] == django_settings.APP_VERSION


def test_the_openapi_document_names_the_app_version(anon_client):
    assert _schema_version(anon_client) == django_settings.APP_VERSION


def test_a_browser_may_read_the_version_header():
    assert HEADER in django_settings.CORS_EXPOSE_HEADERS


def test_overriding_app_version_changes_header_health_and_schema(anon_client, settings):
    settings.APP_VERSION = "99.1.0-rc.1"

    health = anon_client.get("/api/health")

    assert health[HEADER] == "99.1.0-rc.1"
    assert health.json()["version"] == "99.1.0-rc.1"
    assert anon_client.get("/api/health/status").json()["version"] == "99.1.0-rc.1"
    assert _schema_version(anon_client) == "99.1.0-rc.1"


PRINT_VERSION = (
    "import django; django.setup(); from django.conf import settings; print(settings.APP_VERSION)"
)


def _version_in_a_fresh_process(**env) -> str:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "inventory_project.settings", **env}
    environment.pop("APP_VERSION", None)
    environment.update(env)
    result = subprocess.run(
        [sys.executable, "-c", PRINT_VERSION],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=django_settings.BASE_DIR,
    )
    return result.stdout.strip().splitlines()[-1]


def test_the_default_version_is_the_packages():
    assert _version_in_a_fresh_process() == inventory_project.__version__


def test_the_environment_may_name_another_version():
    assert _version_in_a_fresh_process(APP_VERSION="20.9.9") == "20.9.9"
