import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.checks import run_checks

from inventory_project import server

ROOT = Path(settings.BASE_DIR)


def _variables_read() -> set[str]:
    settings_text = (ROOT / "inventory_project" / "settings.py").read_text()
    server_text = (ROOT / "inventory_project" / "server.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_text))
    read |= set(re.findall(r'(?:environ\.get\(|_number\(environ,)\s*"([A-Z_]+)"', server_text))
    return read


def test_env_example_documents_every_variable_the_project_reads():
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))

    missing = _variables_read() - documented

    assert _variables_read(), "the settings scan found no variables"
    assert not missing


def test_weak_secret_key_is_a_check_error_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = settings.INSECURE_DEV_SECRET_KEY

    ids = {message.id for message in run_checks()}

    assert "inventory.E001" in ids


def test_strong_secret_key_passes_the_check_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "x" * 50

    ids = {message.id for message in run_checks()}

    assert "inventory.E001" not in ids


def test_a_weak_jwt_secret_is_a_check_error_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "x" * 50
    settings.JWT_SECRET = "short"

    ids = {message.id for message in run_checks()}

    assert "accounts.E001" in ids


def test_a_strong_jwt_secret_passes_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "x" * 50
    settings.JWT_SECRET = "y" * 40

    ids = {message.id for message in run_checks()}

    assert "accounts.E001" not in ids


def test_a_previous_jwt_secret_equal_to_the_current_one_is_a_check_error(settings):
    settings.JWT_SECRET = "y" * 40
    settings.JWT_SECRET_PREVIOUS = "y" * 40

    ids = {message.id for message in run_checks()}

    assert "accounts.E003" in ids


def test_a_weak_previous_jwt_secret_is_a_check_error_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "x" * 50
    settings.JWT_SECRET = "y" * 40
    settings.JWT_SECRET_PREVIOUS = "old"

    ids = {message.id for message in run_checks()}

    assert "accounts.E004" in ids


def test_a_strong_previous_jwt_secret_passes_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "x" * 50
    settings.JWT_SECRET = "y" * 40
    settings.JWT_SECRET_PREVIOUS = "z" * 40

    ids = {message.id for message in run_checks()}

    assert not {"accounts.E003", "accounts.E004"} & ids


def test_an_asymmetric_jwt_algorithm_is_a_check_error(settings):
    settings.JWT_ALGORITHM = "RS256"

    ids = {message.id for message in run_checks()}

    assert "accounts.E002" in ids


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12h", timedelta(hours=12)), ("30m", timedelta(minutes=30)), ("7d", timedelta(days=7))],
)
def test_jwt_lifetimes_read_the_v20_duration_format(text, expected):
    from inventory_project.settings import _duration

    assert _duration(text, name="JWT_EXPIRES_IN") == expected


@pytest.mark.parametrize("text", ["", "12", "h", "12 hours", "-1h"])
def test_a_malformed_duration_refuses_to_configure(text):
    from django.core.exceptions import ImproperlyConfigured

    from inventory_project.settings import _duration

    with pytest.raises(ImproperlyConfigured):
        _duration(text, name="JWT_EXPIRES_IN")


START = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_project.settings")
import inventory_project.wsgi
"""


def test_the_wsgi_app_refuses_to_start_without_production_secrets():
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "s" * 50, "JWT_SECRET": ""}
    env.pop("REDIS_URL", None)

    started = subprocess.run(
        [sys.executable, "-c", START], env=env, capture_output=True, text=True, timeout=60
    )

    assert started.returncode != 0
    assert "Refusing to start" in started.stderr
    assert "accounts.E001" in started.stderr


def test_the_web_server_listens_on_loopback_only_unless_told_otherwise():
    assert server.bind_address({}) == "127.0.0.1:8000"


def test_a_platform_port_opens_every_interface_and_web_bind_overrides_both():
    assert server.bind_address({"PORT": "5000"}) == "0.0.0.0:5000"
    assert server.bind_address({"PORT": "5000", "WEB_BIND": "unix:/run/a.sock"}) == (
        "unix:/run/a.sock"
    )


def test_the_web_server_listens_where_web_bind_says():
    assert server.server_options({"WEB_BIND": "unix:/run/web.sock"})["uds"] == Path("/run/web.sock")
    on_port = server.server_options({"WEB_BIND": "[::1]:9000"})
    assert (on_port["address"], on_port["port"]) == ("::1", 9000)


def test_the_web_server_tunes_the_c_allocator_to_give_freed_memory_back():
    # Every Linux host this runs on has glibc; there mallopt accepts both settings.
    assert server.return_freed_memory_to_the_system() is True


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("WEB_BIND", "localhost", "localhost"),
        ("WEB_BIND", "127.0.0.1:99999", "99999"),
        ("PORT", "http", "http"),
        ("WEB_CONCURRENCY", "four", "WEB_CONCURRENCY"),
        ("WEB_THREADS", "-2", "WEB_THREADS"),
        ("WEB_GRACEFUL_TIMEOUT", "30s", "WEB_GRACEFUL_TIMEOUT"),
    ],
)
def test_a_server_setting_that_cannot_be_used_stops_the_start_naming_it(variable, value, named):
    with pytest.raises(SystemExit, match=named):
        server.server_options({variable: value})


def test_web_workers_serve_four_requests_at_once_and_are_replaced_past_their_memory():
    options = server.server_options({"WEB_CONCURRENCY": "3"})

    assert (options["workers"], options["blocking_threads"]) == (3, 4)
    assert options["workers_max_rss"] == 1024
    assert options["respawn_failed_workers"] is True
    assert options["workers_kill_timeout"] == 30


def test_the_forecast_thresholds_default_to_v20s(settings):
    # An ops team moving from v20 keeps its alerting: v19.2 set MAPE 20 and 6 failures.
    assert os.environ.get("MAX_HEALTH_FAILURES") is None
    assert (settings.MAPE_THRESHOLD, settings.MAX_HEALTH_FAILURES) == (20.0, 6)
