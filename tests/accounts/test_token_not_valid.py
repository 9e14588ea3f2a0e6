"""Every 401 for a bad token says so in one plain sentence with the stable code token_not_valid.

Expired, tampered, garbage, wrong-kind, blacklisted and revoked tokens all answer the same, on
the routes that read an access token and on refresh and logout; no simplejwt jargon and no
nested list of messages leaves the server.
"""

from datetime import timedelta

import pytest

from accounts.tokens import AccessToken, RefreshToken, tokens_for_user
from tests.conftest import user_with_role

pytestmark = pytest.mark.django_db

TOKEN_NOT_VALID = {
    "success": False,
    "error": "The token is invalid or expired; sign in again.",
    "code": "token_not_valid",
}


@pytest.fixture
def cook():
    return user_with_role("staff", email="cook@example.com")


def _expired(token_class, user) -> str:
    token = token_class.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    return str(token)


def _tampered(raw: str) -> str:
    header, payload, signature = raw.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    return f"{header}.{payload}.{flipped}"


@pytest.mark.parametrize("kind", ["garbage", "expired", "tampered", "refresh token"])
def test_a_bad_access_token_answers_token_not_valid(client, cook, kind):
    pair = tokens_for_user(cook)
    raw = {
        "garbage": "garbage",
        "expired": _expired(AccessToken, cook),
        "tampered": _tampered(str(pair.access_token)),
        "refresh token": str(pair),
    }[kind]

    response = client.get("/api/items", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 401
    assert response.json() == TOKEN_NOT_VALID


def test_an_access_token_revoked_by_a_password_change_answers_token_not_valid(client, cook):
    raw = str(tokens_for_user(cook).access_token)
    cook.set_password("a brand new passphrase 42")
    cook.save()

    response = client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 401
    assert response.json() == TOKEN_NOT_VALID


def test_an_access_token_of_a_deleted_user_answers_token_not_valid(client, cook):
    raw = str(tokens_for_user(cook).access_token)
    cook.delete()

    response = client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 401
    assert response.json() == TOKEN_NOT_VALID


@pytest.mark.parametrize("route", ["/api/auth/refresh", "/api/auth/logout"])
@pytest.mark.parametrize("kind", ["garbage", "expired", "tampered", "access token", "blacklisted"])
def test_a_bad_refresh_token_answers_token_not_valid(client, cook, route, kind):
    pair = tokens_for_user(cook)
    blacklisted = tokens_for_user(cook)
    blacklisted.blacklist()
    raw = {
        "garbage": "garbage",
        "expired": _expired(RefreshToken, cook),
        "tampered": _tampered(str(pair)),
        "access token": str(pair.access_token),
        "blacklisted": str(blacklisted),
    }[kind]

    response = client.post(route, {"refresh": raw}, content_type="application/json")

    assert response.status_code == 401
    assert response.json() == TOKEN_NOT_VALID


def test_a_token_of_an_inactive_user_answers_user_inactive_in_one_sentence(client, cook):
    raw = str(tokens_for_user(cook).access_token)
    cook.is_active = False
    cook.save()

    response = client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "error": "This account is inactive.",
        "code": "user_inactive",
    }
