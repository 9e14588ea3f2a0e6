"""Rate limits: anonymous per IP, authenticated per user, failed logins per e-mail and per IP."""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import RequestFactory

from accounts import ratelimit
from accounts.emails import email_key
from inventory_project.http import response_cache
from inventory_project.http.ratelimit import TOO_MANY_REQUESTS
from tests.conftest import client_for, user_with_role
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.RATE_LIMIT_MAX = 3
    settings.RATE_LIMIT_MAX_AUTH = 5
    settings.RATE_LIMIT_WINDOW_MIN = 5
    settings.LOGIN_RATE_LIMIT_PER_EMAIL = 3
    settings.LOGIN_RATE_LIMIT_PER_IP = 5
    return settings


def _get_many(client, n, path="/api/items", **extra):
    return [client.get(path, **extra) for _ in range(n)]


def test_anonymous_callers_get_429_after_the_limit(limits, anon_client):
    answers = _get_many(anon_client, 4)

    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert answers[-1].json() == {
        "success": False,
        "error": TOO_MANY_REQUESTS,
        "code": "rate_limited",
    }


def test_a_429_says_when_to_retry_and_the_limits(limits, anon_client):
    limited = _get_many(anon_client, 4)[-1]

    assert int(limited["Retry-After"]) >= 1
    assert limited["RateLimit-Limit"] == "3"
    assert limited["RateLimit-Remaining"] == "0"
    assert 0 <= int(limited["RateLimit-Reset"]) <= 5 * 60


def test_answers_carry_the_x_ratelimit_headers_v20_sent(limits, anon_client):
    before = time.time()
    first, second = _get_many(anon_client, 2)

    assert first["X-RateLimit-Limit"] == "3"
    assert [first["X-RateLimit-Remaining"], second["X-RateLimit-Remaining"]] == ["2", "1"]
    # express-rate-limit's legacy reset is the Unix time the window ends, not seconds left.
    assert before <= int(second["X-RateLimit-Reset"]) <= time.time() + 5 * 60 + 1


def test_answers_under_the_limit_carry_the_remaining_count(limits, anon_client):
    first, second = _get_many(anon_client, 2)

    assert first["RateLimit-Remaining"] == "2"
    assert second["RateLimit-Remaining"] == "1"


def test_authenticated_callers_have_the_higher_tier(limits):
    client = client_for(user_with_role("viewer", email="busy@example.com"))

    answers = _get_many(client, 6)

    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert answers[0]["RateLimit-Limit"] == "5"


def test_each_user_has_a_counter_of_their_own(limits):
    first = client_for(user_with_role("viewer", email="one@example.com"))
    second = client_for(user_with_role("viewer", email="two@example.com"))
    _get_many(first, 5)

    assert second.get("/api/items").status_code == 200


def test_anonymous_and_authenticated_callers_from_one_ip_count_apart(limits, anon_client):
    _get_many(anon_client, 3)
    signed_in = client_for(user_with_role("viewer", email="office@example.com"))

    assert signed_in.get("/api/items").status_code == 200


def test_different_ips_count_apart(limits, anon_client):
    _get_many(anon_client, 3, REMOTE_ADDR="10.0.0.1")

    assert anon_client.get("/api/items", REMOTE_ADDR="10.0.0.2").status_code == 401


def test_health_is_never_limited(limits, anon_client):
    answers = _get_many(anon_client, 10, path="/api/health")

    assert {a.status_code for a in answers} == {200}


def test_forwarded_for_is_ignored_without_a_trusted_proxy_header(limits, anon_client):
    limits.TRUSTED_PROXIES = []
    for n in range(3):
        anon_client.get("/api/items", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    response = anon_client.get("/api/items", HTTP_X_FORWARDED_FOR="203.0.113.99")

    assert response.status_code == 429


def test_a_trusted_proxy_header_tells_clients_apart(limits, anon_client):
    limits.TRUSTED_PROXY_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    limits.TRUSTED_PROXIES = ["127.0.0.1"]
    _get_many(anon_client, 3, HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.1")

    other = anon_client.get("/api/items", HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.2")
    same = anon_client.get("/api/items", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.1")

    assert other.status_code == 401
    assert same.status_code == 429


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_gets_no_fresh_counter(limits, anon_client):
    # The header is believed from the proxy at 10.0.0.5 only; this caller reaches us directly.
    limits.TRUSTED_PROXY_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    limits.TRUSTED_PROXIES = ["10.0.0.5"]
    for n in range(3):
        anon_client.get(
            "/api/items", REMOTE_ADDR="192.0.2.50", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"
        )

    spoofed = anon_client.get(
        "/api/items", REMOTE_ADDR="192.0.2.50", HTTP_X_FORWARDED_FOR="203.0.113.99"
    )

    assert spoofed.status_code == 429


def test_a_forwarded_for_from_a_trusted_proxy_network_names_the_client(limits, anon_client):
    limits.TRUSTED_PROXIES = ["10.0.0.0/24"]
    for _ in range(3):
        anon_client.get("/api/items", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.1")

    other_client = anon_client.get(
        "/api/items", REMOTE_ADDR="10.0.0.6", HTTP_X_FORWARDED_FOR="203.0.113.2"
    )
    same_client = anon_client.get(
        "/api/items", REMOTE_ADDR="10.0.0.6", HTTP_X_FORWARDED_FOR="203.0.113.1"
    )

    assert other_client.status_code == 401
    assert same_client.status_code == 429


def test_the_client_is_the_rightmost_address_that_is_not_a_trusted_proxy(limits, anon_client):
    # client -> proxy 10.0.0.7 -> proxy 10.0.0.5 -> us; the left entry is the client's to forge.
    limits.TRUSTED_PROXY_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    limits.TRUSTED_PROXIES = ["10.0.0.0/24"]
    for n in range(3):
        anon_client.get(
            "/api/items",
            REMOTE_ADDR="10.0.0.5",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.1, 10.0.0.7",
        )

    forged_left = anon_client.get(
        "/api/items",
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="198.51.100.99, 203.0.113.1, 10.0.0.7",
    )
    other_client = anon_client.get(
        "/api/items", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.2, 10.0.0.7"
    )

    assert forged_left.status_code == 429
    assert other_client.status_code == 401


def test_the_nginx_on_this_host_is_trusted_by_default(limits, anon_client):
    # The web server listens on loopback for the proxy beside it: no setting needed to see clients.
    for _ in range(3):
        anon_client.get("/api/items", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.1")

    other_client = anon_client.get(
        "/api/items", REMOTE_ADDR="::1", HTTP_X_FORWARDED_FOR="203.0.113.2"
    )
    same_client = anon_client.get(
        "/api/items", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.1"
    )

    assert other_client.status_code == 401
    assert same_client.status_code == 429


def test_a_proxy_on_a_unix_socket_names_its_clients(limits, anon_client):
    # The web server on a unix socket leaves REMOTE_ADDR empty; only a local process can connect.
    limits.TRUSTED_PROXIES = []
    for _ in range(3):
        anon_client.get("/api/items", REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="203.0.113.1")

    other_client = anon_client.get("/api/items", REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="203.0.113.2")
    same_client = anon_client.get("/api/items", REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="203.0.113.1")

    assert other_client.status_code == 401
    assert same_client.status_code == 429


def _login(client, email, password, **extra):
    return client.post(
        "/api/auth/login", {"email": email, "password": password}, format="json", **extra
    )


def test_failed_logins_are_limited_per_email(limits, anon_client):
    user_with_role("staff", email="target@example.com")
    for _ in range(3):
        _login(anon_client, "target@example.com", "guess", REMOTE_ADDR=f"10.1.0.{_}")

    response = _login(anon_client, "target@example.com", TEST_PASSWORD, REMOTE_ADDR="10.1.1.1")

    assert response.status_code == 429
    assert response.json()["error"] == TOO_MANY_REQUESTS


def test_failed_logins_are_limited_per_ip(limits, anon_client):
    for n in range(5):
        _login(anon_client, f"someone{n}@example.com", "guess")
    user_with_role("staff", email="innocent@example.com")

    response = _login(anon_client, "innocent@example.com", TEST_PASSWORD)

    assert response.status_code == 429


def test_successful_logins_do_not_count_against_an_office(limits, anon_client):
    user_with_role("staff", email="chef@example.com")

    answers = [_login(anon_client, "chef@example.com", TEST_PASSWORD) for _ in range(8)]

    assert {a.status_code for a in answers} == {200}


def test_limits_fail_open_when_the_cache_is_unreachable(limits, anon_client):
    limits.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }

    answers = _get_many(anon_client, 5)

    assert {a.status_code for a in answers} == {401}


SUBPROCESS_REQUESTS = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_project.settings")
django.setup()
from django.test import Client
client = Client(REMOTE_ADDR="192.0.2.77")
codes = [client.get("/api/items").status_code for _ in range(3)]
print(",".join(map(str, codes)))
"""


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis: counters shared")
def test_counters_are_shared_between_processes_on_redis(limits, anon_client):
    env = {**os.environ, "RATE_LIMIT_MAX": "3", "RATE_LIMIT_WINDOW_MIN": "5"}
    other_process = subprocess.run(
        [sys.executable, "-c", SUBPROCESS_REQUESTS],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    response = anon_client.get("/api/items", REMOTE_ADDR="192.0.2.77")

    assert other_process.stdout.strip().splitlines()[-1] == "401,401,401"
    assert response.status_code == 429


def test_ipv6_callers_are_counted_per_64(limits, anon_client):
    for n in range(3):
        anon_client.get("/api/items", REMOTE_ADDR=f"2001:db8:1:2::{n + 1}")

    same_64 = anon_client.get("/api/items", REMOTE_ADDR="2001:db8:1:2:ffff::9")
    other_64 = anon_client.get("/api/items", REMOTE_ADDR="2001:db8:1:3::1")

    assert same_64.status_code == 429
    assert other_64.status_code == 401


def test_failed_admin_sign_ins_count_against_the_same_limit(limits, client, anon_client):
    user_with_role("staff", email="kitchen@example.com")
    for _ in range(3):
        client.post("/admin/login/", {"username": "kitchen@example.com", "password": "guess"})

    admin = client.post(
        "/admin/login/", {"username": "kitchen@example.com", "password": TEST_PASSWORD}
    )
    api = _login(anon_client, "kitchen@example.com", TEST_PASSWORD, REMOTE_ADDR="10.7.7.7")

    assert admin.status_code == 200  # the form again, not a redirect into the admin
    assert "_auth_user_id" not in client.session
    assert api.status_code == 429


def test_a_blocked_login_is_refused_before_the_password_is_checked(limits, anon_client):
    user_with_role("staff", email="blocked@example.com")
    for _ in range(3):
        _login(anon_client, "blocked@example.com", "guess")

    right_password = _login(anon_client, "blocked@example.com", TEST_PASSWORD)
    still = _login(anon_client, "blocked@example.com", TEST_PASSWORD)

    assert right_password.status_code == 429
    assert still.status_code == 429


def test_job_routes_are_rate_limited_too(limits, anon_client):
    answers = [anon_client.post("/jobs/maintenance") for _ in range(4)]

    assert [a.status_code for a in answers] == [401, 401, 401, 429]


def test_a_sign_in_across_a_window_boundary_takes_back_its_own_attempt(settings, monkeypatch):
    # The attempt is counted in one window and the password found right in the next: it must
    # be taken back from the window it was counted in, and a counter that is not there is not
    # an outage of the cache (which would switch every limit off for a while).
    settings.LOGIN_RATE_LIMIT_WINDOW_MIN = 1
    request = RequestFactory().post("/api/auth/login", REMOTE_ADDR="10.1.2.3")
    clock = [120.0 * 60 - 0.1]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    ratelimit.begin_login_attempt(request, "edge@example.com")
    counted = ratelimit._counted_attempts(request)[email_key("edge@example.com")]

    clock[0] += 0.2
    ratelimit.end_login_attempt(request, "edge@example.com")

    assert [cache.get(key) for key in counted] == [0, 0]
    assert response_cache._available()


def test_taking_back_an_expired_counter_does_not_switch_the_limits_off(settings):
    request = RequestFactory().post("/api/auth/login", REMOTE_ADDR="10.1.2.4")

    ratelimit.end_login_attempt(request, "never-counted@example.com")

    assert response_cache._available()
