"""JWT key rotation: with JWT_SECRET_PREVIOUS set, tokens signed with the previous secret are
still accepted until they expire; new tokens are signed with the current secret only."""

from datetime import timedelta

import jwt
import pytest

from accounts.tokens import AccessToken, RefreshToken, tokens_for_user
from tests.conftest import user_with_role
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

OLD_SECRET = "the-old-secret-that-signed-yesterdays-tokens-0001"
NEW_SECRET = "the-new-secret-that-signs-every-token-from-now-02"
UNRELATED_SECRET = "a-secret-this-service-never-had-at-any-time-0003"


def _use_secrets(settings, current: str, previous: str = "") -> None:
    # A new SIMPLE_JWT dict, so simplejwt reloads its settings (setting_changed).
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": current}
    settings.JWT_SECRET = current
    settings.JWT_SECRET_PREVIOUS = previous


@pytest.fixture
def cook():
    return user_with_role("staff", email="cook@example.com")


@pytest.fixture
def old_tokens(settings, cook):
    """A token pair issued before the rotation, then the rotation: new secret, old one kept."""
    _use_secrets(settings, OLD_SECRET)
    refresh = tokens_for_user(cook)
    pair = {"access": str(refresh.access_token), "refresh": str(refresh)}
    _use_secrets(settings, NEW_SECRET, previous=OLD_SECRET)
    return pair


def _me(client, token):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get("/api/auth/me")


def _refresh(client, token):
    return client.post("/api/auth/refresh", {"refresh": token}, format="json")


def _signed_with(token: str, secret: str) -> bool:
    try:
        jwt.decode(token, secret, algorithms=["HS256"])
    except jwt.InvalidSignatureError:
        return False
    return True


def test_an_access_token_of_the_previous_secret_is_accepted(anon_client, old_tokens):
    assert _me(anon_client, old_tokens["access"]).status_code == 200


def test_a_refresh_token_of_the_previous_secret_still_refreshes(anon_client, old_tokens):
    response = _refresh(anon_client, old_tokens["refresh"])

    assert response.status_code == 200
    assert _me(anon_client, response.json()["data"]["token"]).status_code == 200


def test_tokens_from_a_refresh_are_signed_with_the_current_secret_only(anon_client, old_tokens):
    data = _refresh(anon_client, old_tokens["refresh"]).json()["data"]

    for token in (data["token"], data["refresh"]):
        assert _signed_with(token, NEW_SECRET)
        assert not _signed_with(token, OLD_SECRET)


def test_logout_accepts_a_refresh_token_of_the_previous_secret(anon_client, old_tokens):
    logout = anon_client.post("/api/auth/logout", {"refresh": old_tokens["refresh"]}, format="json")

    assert logout.status_code == 200
    assert _refresh(anon_client, old_tokens["refresh"]).status_code == 401


def test_tokens_of_the_previous_secret_are_refused_once_it_is_removed(
    anon_client, settings, old_tokens
):
    _use_secrets(settings, NEW_SECRET, previous="")

    assert _me(anon_client, old_tokens["access"]).status_code == 401
    anon_client.credentials()
    assert _refresh(anon_client, old_tokens["refresh"]).status_code == 401


def test_a_token_of_an_unrelated_secret_is_refused_during_a_rotation(anon_client, settings, cook):
    _use_secrets(settings, UNRELATED_SECRET)
    refresh = tokens_for_user(cook)
    forged = {"access": str(refresh.access_token), "refresh": str(refresh)}  # signed now
    _use_secrets(settings, NEW_SECRET, previous=OLD_SECRET)

    assert _me(anon_client, forged["access"]).status_code == 401
    anon_client.credentials()
    assert _refresh(anon_client, forged["refresh"]).status_code == 401


def test_an_expired_token_of_the_previous_secret_is_refused(anon_client, settings, cook):
    _use_secrets(settings, OLD_SECRET)
    expired = AccessToken.for_user(cook)
    expired.set_exp(lifetime=-timedelta(seconds=1))
    token = str(expired)
    _use_secrets(settings, NEW_SECRET, previous=OLD_SECRET)

    assert _me(anon_client, token).status_code == 401


def test_new_logins_are_signed_with_the_current_secret_only(anon_client, settings, cook):
    _use_secrets(settings, NEW_SECRET, previous=OLD_SECRET)

    data = anon_client.post(
        "/api/auth/login", {"email": "cook@example.com", "password": TEST_PASSWORD}, format="json"
    ).json()["data"]

    for token in (data["token"], data["refresh"]):
        assert _signed_with(token, NEW_SECRET)
        assert not _signed_with(token, OLD_SECRET)


def test_a_token_of_the_previous_secret_counts_against_its_users_rate_limit(
    anon_client, settings, old_tokens
):
    settings.RATE_LIMIT_MAX_AUTH = 2

    answers = [_me(anon_client, old_tokens["access"]) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0]["RateLimit-Limit"] == "2"


def test_the_token_classes_read_the_previous_secret_directly(settings, cook, old_tokens):
    assert RefreshToken(old_tokens["refresh"])["user_id"] == str(cook.pk)
    assert AccessToken(old_tokens["access"])["user_id"] == str(cook.pk)
