"""The table of rate limits (`settings.RATE_LIMITS`): each route of each row is limited at the
row's number. Each case makes one call that counts on the row's counter, varying whatever the
row does not count per, so that only the row's own counter fills; a probe then meets the 429."""

import pytest
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import client_for, user_with_role
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = 2
COOK = "cook@example.com"
NEW_PASSWORD = "a fresh and unusual passphrase 42"
PROBE_IP = "10.8.1.1"

ROUTES = [(group, route) for group, row in django_settings.RATE_LIMITS.items() for route in row[0]]


@pytest.fixture
def cook():
    return user_with_role("staff", email=COOK)


def _ip(n: int) -> str:
    return f"10.8.0.{n + 1}"


def _login(email, password, **extra):
    return APIClient().post(
        "/api/auth/login", {"email": email, "password": password}, format="json", **extra
    )


def _admin_login(email, password, **extra):
    return Client().post("/admin/login/", {"username": email, "password": password}, **extra)


def _change(user, current, **extra):
    return client_for(user).post(
        "/api/auth/password-change",
        {"current_password": current, "new_password": NEW_PASSWORD},
        format="json",
        **extra,
    )


def _reset(email, **extra):
    return APIClient().post("/api/auth/password-reset", {"email": email}, format="json", **extra)


def _confirm(**extra):
    return APIClient().post(
        "/api/auth/password-reset/confirm",
        {"uid": "MQ", "token": "1-1", "password": NEW_PASSWORD},
        format="json",
        **extra,
    )


def _someone(n: int):
    return user_with_role("viewer", email=f"someone{n}@example.com")


def _cook_signs_in(cook, **extra):
    return _login(COOK, TEST_PASSWORD, **extra)


# (group, route): (the n-th counted call, the probe that is refused once the row is full)
CASES = {
    ("api-anonymous", "/api/"): (
        lambda cook, n: APIClient().get("/api/items"),
        lambda cook: APIClient().get("/api/items"),
    ),
    ("api-anonymous", "/jobs/"): (
        lambda cook, n: APIClient().post("/jobs/maintenance"),
        lambda cook: APIClient().post("/jobs/maintenance"),
    ),
    ("api-authenticated", "/api/"): (
        lambda cook, n: client_for(cook).get("/api/items", REMOTE_ADDR=_ip(n)),
        lambda cook: client_for(cook).get("/api/items", REMOTE_ADDR=PROBE_IP),
    ),
    ("api-authenticated", "/jobs/"): (
        lambda cook, n: client_for(cook).post("/jobs/maintenance", REMOTE_ADDR=_ip(n)),
        lambda cook: client_for(cook).post("/jobs/maintenance", REMOTE_ADDR=PROBE_IP),
    ),
    ("login-failures-per-email", "/api/auth/login"): (
        lambda cook, n: _login(COOK, "a guess", REMOTE_ADDR=_ip(n)),
        lambda cook: _cook_signs_in(cook, REMOTE_ADDR=PROBE_IP),
    ),
    ("login-failures-per-email", "/api/auth/password-change"): (
        lambda cook, n: _change(cook, "a guess", REMOTE_ADDR=_ip(n)),
        lambda cook: _cook_signs_in(cook, REMOTE_ADDR=PROBE_IP),
    ),
    ("login-failures-per-email", "/admin/login/"): (
        lambda cook, n: _admin_login(COOK, "a guess", REMOTE_ADDR=_ip(n)),
        lambda cook: _cook_signs_in(cook, REMOTE_ADDR=PROBE_IP),
    ),
    ("login-failures-per-ip", "/api/auth/login"): (
        lambda cook, n: _login(f"someone{n}@example.com", "a guess"),
        _cook_signs_in,
    ),
    ("login-failures-per-ip", "/api/auth/password-change"): (
        lambda cook, n: _change(_someone(n), "a guess"),
        _cook_signs_in,
    ),
    ("login-failures-per-ip", "/admin/login/"): (
        lambda cook, n: _admin_login(f"someone{n}@example.com", "a guess"),
        _cook_signs_in,
    ),
    ("password-reset-per-email", "/api/auth/password-reset"): (
        lambda cook, n: _reset(COOK, REMOTE_ADDR=_ip(n)),
        lambda cook: _reset(COOK, REMOTE_ADDR=PROBE_IP),
    ),
    ("password-reset-per-ip", "/api/auth/password-reset"): (
        lambda cook, n: _reset(f"someone{n}@example.com"),
        lambda cook: _reset(COOK),
    ),
    ("password-reset-confirm-per-ip", "/api/auth/password-reset/confirm"): (
        lambda cook, n: _confirm(),
        lambda cook: _confirm(),
    ),
    ("password-change-per-user", "/api/auth/password-change"): (
        lambda cook, n: _change(cook, "a guess", REMOTE_ADDR=_ip(n)),
        lambda cook: _change(cook, TEST_PASSWORD, REMOTE_ADDR=PROBE_IP),
    ),
}


def test_every_route_the_table_declares_has_a_case_here():
    assert set(CASES) == set(ROUTES)


@pytest.mark.parametrize(("group", "route"), ROUTES)
def test_each_route_of_the_table_is_limited_at_its_rows_number(group, route, cook, settings):
    limit_setting = settings.RATE_LIMITS[group][2]
    setattr(settings, limit_setting, LIMIT)
    counted_call, probe = CASES[(group, route)]

    counted = [counted_call(cook, n) for n in range(LIMIT)]
    refused = probe(cook)

    assert [answer.status_code == 429 for answer in counted] == [False] * LIMIT
    assert refused.status_code == 429
    assert refused["RateLimit-Limit"] == str(LIMIT)


def test_the_views_read_their_limits_from_the_table(cook, settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "password-reset-per-email": (
            ("/api/auth/password-reset",),
            "email",
            "PASSWORD_RESET_CONFIRM_RATE_LIMIT_PER_IP",
            "PASSWORD_RATE_LIMIT_WINDOW_MIN",
        ),
    }
    settings.PASSWORD_RESET_CONFIRM_RATE_LIMIT_PER_IP = 1

    first = _reset(COOK, REMOTE_ADDR=_ip(0))
    second = _reset(COOK, REMOTE_ADDR=_ip(1))

    assert first.status_code == 200
    assert second.status_code == 429
    assert second["RateLimit-Limit"] == "1"
