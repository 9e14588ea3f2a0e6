import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tokens import tokens_for_user
from tests.conftest import user_with_role
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login"


@pytest.fixture
def staff_user():
    return user_with_role("staff", email="cook@example.com", name="Sam Cook")


def _login(client, email, password):
    return client.post(LOGIN, {"email": email, "password": password}, format="json")


def _bearer(client, token):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_login_answers_the_v20_shape_plus_a_refresh_token(anon_client, staff_user):
    response = _login(anon_client, "cook@example.com", TEST_PASSWORD)

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert set(body["data"]) == {"token", "refresh", "expiresIn", "user"}
    assert body["data"]["expiresIn"] == "12h"
    assert body["data"]["user"] == {
        "id": staff_user.pk,
        "email": "cook@example.com",
        "name": "Sam Cook",
        "role": "staff",
    }


def test_login_email_is_case_insensitive(anon_client, staff_user):
    response = _login(anon_client, "Cook@Example.COM", TEST_PASSWORD)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "cook@example.com"}, {"password": "x"}, {"email": "", "password": ""}],
)
def test_login_without_both_fields_is_a_400(anon_client, body):
    response = anon_client.post(LOGIN, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == "Email and password are required"


def test_login_with_a_wrong_password_is_a_401(anon_client, staff_user):
    response = _login(anon_client, "cook@example.com", "not the password")

    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "error": "Invalid credentials",
        "code": "authentication_failed",
    }


def test_login_of_an_unknown_email_is_a_401(anon_client):
    response = _login(anon_client, "nobody@example.com", TEST_PASSWORD)

    assert response.status_code == 401
    assert response.json()["error"] == "Invalid credentials"


def test_login_of_an_inactive_user_is_a_401(anon_client, staff_user):
    staff_user.is_active = False
    staff_user.save()

    response = _login(anon_client, "cook@example.com", TEST_PASSWORD)

    assert response.status_code == 401


def test_login_with_a_non_json_body_is_a_400(anon_client):
    response = anon_client.post(LOGIN, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["success"] is False


def test_token_payload_carries_the_role_and_uses_hs256(anon_client, staff_user):
    token = _login(anon_client, "cook@example.com", TEST_PASSWORD).json()["data"]["token"]

    header = jwt.get_unverified_header(token)
    payload = jwt.decode(token, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])

    assert header["alg"] == "HS256"
    assert payload["role"] == "staff"
    assert payload["email"] == "cook@example.com"


def test_me_answers_the_signed_in_user(anon_client, staff_user):
    token = _login(anon_client, "cook@example.com", TEST_PASSWORD).json()["data"]["token"]

    response = _bearer(anon_client, token).get("/api/auth/me")

    assert response.status_code == 200
    assert response.json()["data"]["email"] == "cook@example.com"
    assert response.json()["data"]["role"] == "staff"


def test_me_without_a_token_is_a_401(anon_client):
    response = anon_client.get("/api/auth/me")

    assert response.status_code == 401
    assert response.json()["success"] is False


def test_an_expired_token_is_a_401(anon_client, staff_user):
    token = AccessToken.for_user(staff_user)
    token.set_exp(lifetime=-timedelta(seconds=1))

    response = _bearer(anon_client, str(token)).get("/api/auth/me")

    assert response.status_code == 401
    assert response.json()["success"] is False


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_tampered_token_is_a_401(anon_client):
    viewer = user_with_role("viewer", email="v@example.com")
    header, payload, signature = str(tokens_for_user(viewer).access_token).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    claims["user_id"] = str(viewer.pk)
    forged = f"{header}.{_b64(claims)}.{signature}"

    response = _bearer(anon_client, forged).get("/api/items")

    assert response.status_code == 401


def test_an_alg_none_token_is_a_401(anon_client, staff_user):
    claims = AccessToken.for_user(staff_user).payload
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."

    response = _bearer(anon_client, unsigned).get("/api/auth/me")

    assert response.status_code == 401


def test_a_token_signed_with_another_secret_is_a_401(anon_client, staff_user):
    claims = AccessToken.for_user(staff_user).payload
    forged = jwt.encode(claims, "another-secret-that-is-long-enough-to-pass", algorithm="HS256")

    response = _bearer(anon_client, forged).get("/api/auth/me")

    assert response.status_code == 401


def test_a_refresh_token_is_not_accepted_as_an_access_token(anon_client, staff_user):
    refresh = _login(anon_client, "cook@example.com", TEST_PASSWORD).json()["data"]["refresh"]

    response = _bearer(anon_client, refresh).get("/api/auth/me")

    assert response.status_code == 401


def test_refresh_answers_a_working_access_token(anon_client, staff_user):
    refresh = _login(anon_client, "cook@example.com", TEST_PASSWORD).json()["data"]["refresh"]

    response = anon_client.post("/api/auth/refresh", {"refresh": refresh}, format="json")

    assert response.status_code == 200
    token = response.json()["data"]["token"]
    assert _bearer(anon_client, token).get("/api/auth/me").status_code == 200


def test_refresh_rotates_and_the_old_refresh_token_stops_working(anon_client, staff_user):
    refresh = _login(anon_client, "cook@example.com", TEST_PASSWORD).json()["data"]["refresh"]
    anon_client.post("/api/auth/refresh", {"refresh": refresh}, format="json")

    again = anon_client.post("/api/auth/refresh", {"refresh": refresh}, format="json")

    assert again.status_code == 401


def test_refresh_with_garbage_is_a_401(anon_client):
    response = anon_client.post("/api/auth/refresh", {"refresh": "garbage"}, format="json")

    assert response.status_code == 401
    assert response.json()["success"] is False


def test_refresh_without_a_token_is_a_400(anon_client):
    response = anon_client.post("/api/auth/refresh", {}, format="json")

    assert response.status_code == 400


def test_logout_blacklists_the_refresh_token(anon_client, staff_user):
    refresh = _login(anon_client, "cook@example.com", TEST_PASSWORD).json()["data"]["refresh"]

    logout = anon_client.post("/api/auth/logout", {"refresh": refresh}, format="json")
    after = anon_client.post("/api/auth/refresh", {"refresh": refresh}, format="json")

    assert logout.status_code == 200
    assert logout.json()["message"] == "Logged out"
    assert after.status_code == 401


def test_logout_with_garbage_is_a_401(anon_client):
    response = anon_client.post("/api/auth/logout", {"refresh": "garbage"}, format="json")

    assert response.status_code == 401


def test_changing_the_password_revokes_earlier_tokens(anon_client, staff_user):
    token = _login(anon_client, "cook@example.com", TEST_PASSWORD).json()["data"]["token"]
    staff_user.set_password("a brand new passphrase 42")
    staff_user.save()

    response = _bearer(anon_client, token).get("/api/auth/me")

    assert response.status_code == 401


def test_refresh_for_a_deleted_user_is_a_401(anon_client, staff_user):
    refresh = _login(anon_client, "cook@example.com", TEST_PASSWORD).json()["data"]["refresh"]
    staff_user.delete()

    response = anon_client.post("/api/auth/refresh", {"refresh": refresh}, format="json")

    assert response.status_code == 401


def test_a_password_change_revokes_refresh_tokens_too(anon_client, staff_user):
    refresh = _login(anon_client, "cook@example.com", TEST_PASSWORD).json()["data"]["refresh"]
    staff_user.set_password("another long passphrase 7")
    staff_user.save()

    response = anon_client.post("/api/auth/refresh", {"refresh": refresh}, format="json")

    assert response.status_code == 401


def test_login_records_the_last_login(anon_client, staff_user):
    _login(anon_client, "cook@example.com", TEST_PASSWORD)

    staff_user.refresh_from_db()
    assert staff_user.last_login is not None
