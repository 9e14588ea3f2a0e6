"""Password change by a signed-in user: current password checked (a wrong one is a failed
sign-in), new one validated, earlier tokens revoked, a fresh pair answered, limits per user."""

import pytest

from accounts.models import User
from inventory_project.http.ratelimit import TOO_MANY_REQUESTS
from tests.conftest import client_for, user_with_role
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CHANGE = "/api/auth/password-change"
NEW_PASSWORD = "a fresh and unusual passphrase 42"


@pytest.fixture
def cook():
    return user_with_role("staff", email="cook@example.com", name="Sam Cook")


def _change(client, current=TEST_PASSWORD, new=NEW_PASSWORD):
    return client.post(CHANGE, {"current_password": current, "new_password": new}, format="json")


def _login(client, password, email="cook@example.com"):
    return client.post("/api/auth/login", {"email": email, "password": password}, format="json")


def _bearer(client, token):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _password_hash(user) -> str:
    return User.objects.get(pk=user.pk).password


def test_a_change_answers_a_new_token_pair_like_a_login(anon_client, cook):
    response = _change(client_for(cook))

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert set(body["data"]) == {"token", "refresh", "expiresIn", "user"}
    assert body["data"]["user"]["email"] == "cook@example.com"
    assert _bearer(anon_client, body["data"]["token"]).get("/api/auth/me").status_code == 200


def test_the_new_refresh_token_works(anon_client, cook):
    refresh = _change(client_for(cook)).json()["data"]["refresh"]

    response = anon_client.post("/api/auth/refresh", {"refresh": refresh}, format="json")

    assert response.status_code == 200


def test_after_a_change_the_new_password_signs_in_and_the_old_does_not(anon_client, cook):
    _change(client_for(cook))

    assert _login(anon_client, NEW_PASSWORD).status_code == 200
    assert _login(anon_client, TEST_PASSWORD).status_code == 401


def test_a_change_revokes_earlier_access_and_refresh_tokens(anon_client, cook):
    earlier = _login(anon_client, TEST_PASSWORD).json()["data"]
    _change(_bearer(anon_client, earlier["token"]))

    me = _bearer(anon_client, earlier["token"]).get("/api/auth/me")
    anon_client.credentials()
    refresh = anon_client.post("/api/auth/refresh", {"refresh": earlier["refresh"]}, format="json")

    assert me.status_code == 401
    assert refresh.status_code == 401


def test_a_wrong_current_password_is_a_400_and_changes_nothing(cook):
    before = _password_hash(cook)

    response = _change(client_for(cook), current="not my password")

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "The current password is wrong.",
        "code": "wrong_password",
        "details": {"current_password": ["The current password is wrong."]},
    }
    assert _password_hash(cook) == before


def test_a_weak_new_password_is_refused_and_changes_nothing(cook):
    before = _password_hash(cook)

    response = _change(client_for(cook), new="12345678")

    assert response.status_code == 400
    assert response.json()["code"] == "weak_password"
    assert set(response.json()["details"]) == {"password"}
    assert _password_hash(cook) == before


def test_a_change_needs_a_signed_in_caller(anon_client):
    response = _change(anon_client)

    assert response.status_code == 401
    assert response.json()["success"] is False


def test_a_user_without_a_role_may_change_their_password():
    roleless = UserFactory(email="nobody-in-particular@example.com")

    assert _change(client_for(roleless)).status_code == 200


def test_wrong_current_passwords_count_as_failed_logins(anon_client, cook, settings):
    settings.LOGIN_RATE_LIMIT_PER_EMAIL = 2
    client = client_for(cook)
    for _ in range(2):
        _change(client, current="a guess")

    response = _login(anon_client, TEST_PASSWORD)

    assert response.status_code == 429


def test_a_change_with_the_right_password_is_not_a_failed_login(anon_client, cook, settings):
    settings.LOGIN_RATE_LIMIT_PER_EMAIL = 1

    _change(client_for(cook))

    assert _login(anon_client, NEW_PASSWORD).status_code == 200


def test_a_change_is_refused_while_logins_of_the_user_are_blocked(anon_client, cook, settings):
    settings.LOGIN_RATE_LIMIT_PER_EMAIL = 2
    for _ in range(2):
        _login(anon_client, "a guess")
    before = _password_hash(cook)

    response = _change(client_for(cook))

    assert response.status_code == 429
    assert _password_hash(cook) == before


def test_changes_are_limited_per_user(cook, settings):
    settings.PASSWORD_CHANGE_RATE_LIMIT_PER_USER = 2
    client = client_for(cook)
    for _ in range(2):
        _change(client, current="a guess")
    before = _password_hash(cook)

    response = _change(client)

    assert response.status_code == 429
    assert response.json() == {
        "success": False,
        "error": TOO_MANY_REQUESTS,
        "code": "rate_limited",
    }
    assert response["RateLimit-Limit"] == "2"
    assert int(response["Retry-After"]) >= 1
    assert _password_hash(cook) == before


def test_each_user_has_a_change_counter_of_their_own(cook, settings):
    settings.PASSWORD_CHANGE_RATE_LIMIT_PER_USER = 1
    _change(client_for(cook), current="a guess")
    other = user_with_role("viewer", email="other@example.com")

    assert _change(client_for(other)).status_code == 200
