"""Password reset: one answer for every address, a mailed single-use token that expires, the
new password checked, every earlier token revoked, and limits per e-mail and per IP."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIRequestFactory
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.api import PasswordResetRequestApi
from accounts.models import User
from inventory_project.http.ratelimit import TOO_MANY_REQUESTS
from tests.conftest import user_with_role
from tests.factories import TEST_PASSWORD
from tests.helpers import free_port

pytestmark = pytest.mark.django_db

RESET = "/api/auth/password-reset"
CONFIRM = "/api/auth/password-reset/confirm"
NEW_PASSWORD = "a fresh and unusual passphrase 42"


@pytest.fixture
def cook():
    return user_with_role("staff", email="cook@example.com", name="Sam Cook")


def _request_reset(client, email, **extra):
    return client.post(RESET, {"email": email}, format="json", **extra)


def _confirm(client, uid, token, password=NEW_PASSWORD, **extra):
    return client.post(
        CONFIRM, {"uid": uid, "token": token, "password": password}, format="json", **extra
    )


def _mailed_uid_and_token(message) -> tuple[str, str]:
    uid = re.search(r"^uid:\s+(\S+)$", message.body, re.M)[1]
    token = re.search(r"^token:\s+(\S+)$", message.body, re.M)[1]
    return uid, token


def _reset_token_of(client, mailoutbox, email="cook@example.com") -> tuple[str, str]:
    _request_reset(client, email)
    return _mailed_uid_and_token(mailoutbox[-1])


def _login(client, email, password):
    return client.post("/api/auth/login", {"email": email, "password": password}, format="json")


def _password_hash(user) -> str:
    return User.objects.get(pk=user.pk).password


def test_a_reset_request_for_an_active_user_mails_them_once(anon_client, cook, mailoutbox):
    response = _request_reset(anon_client, "cook@example.com")

    assert response.status_code == 200
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["cook@example.com"]


def test_known_unknown_and_inactive_addresses_get_identical_answers(anon_client, cook, mailoutbox):
    user_with_role("viewer", email="gone@example.com", is_active=False)

    answers = [
        _request_reset(anon_client, email)
        for email in ("cook@example.com", "nobody@example.com", "gone@example.com")
    ]

    assert {a.status_code for a in answers} == {200}
    assert answers[0].json() == answers[1].json() == answers[2].json()
    assert answers[0].json()["success"] is True
    assert [m.to for m in mailoutbox] == [["cook@example.com"]]


def test_the_mail_goes_out_only_after_the_answer_has_been_sent(cook, mailoutbox):
    # The mail server's time must not show in the answer's time, or it would tell which
    # addresses have accounts: the server sends the mail when it closes the response.
    request = APIRequestFactory().post(
        "/api/auth/password-reset", {"email": cook.email}, format="json"
    )

    response = PasswordResetRequestApi.as_view()(request)
    sent_with_the_answer = len(mailoutbox)
    response.close()

    assert response.status_code == 200
    assert sent_with_the_answer == 0
    assert len(mailoutbox) == 1


def test_the_reset_address_is_case_insensitive(anon_client, cook, mailoutbox):
    _request_reset(anon_client, "Cook@Example.COM")

    assert [m.to for m in mailoutbox] == [["cook@example.com"]]


def test_the_mail_carries_the_link_and_the_uid_and_token_in_plain_text(
    anon_client, cook, mailoutbox, settings
):
    settings.PASSWORD_RESET_URL = "https://app.example.com/reset/{uid}/{token}"

    _request_reset(anon_client, "cook@example.com")

    message = mailoutbox[0]
    uid, token = _mailed_uid_and_token(message)
    link = f"https://app.example.com/reset/{uid}/{token}"
    assert link in message.body
    html, mime_type = message.alternatives[0]
    assert mime_type == "text/html"
    assert f'href="{link}"' in html
    assert uid == urlsafe_base64_encode(force_bytes(cook.pk))


def test_an_invalid_email_is_a_400_and_sends_nothing(anon_client, mailoutbox):
    response = _request_reset(anon_client, "not an address")

    assert response.status_code == 400
    assert response.json()["success"] is False
    assert mailoutbox == []


def test_a_mail_server_failure_still_gives_the_same_answer(anon_client, cook, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 2

    known = _request_reset(anon_client, "cook@example.com")
    unknown = _request_reset(anon_client, "nobody@example.com")

    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()


def test_confirm_sets_the_new_password(anon_client, cook, mailoutbox):
    uid, token = _reset_token_of(anon_client, mailoutbox)

    response = _confirm(anon_client, uid, token)

    assert response.status_code == 200
    assert response.json()["success"] is True
    assert _login(anon_client, "cook@example.com", NEW_PASSWORD).status_code == 200
    assert _login(anon_client, "cook@example.com", TEST_PASSWORD).status_code == 401


def test_a_reset_token_works_only_once(anon_client, cook, mailoutbox):
    uid, token = _reset_token_of(anon_client, mailoutbox)
    _confirm(anon_client, uid, token)
    changed = _password_hash(cook)

    again = _confirm(anon_client, uid, token, password="yet another long passphrase 9")

    assert again.status_code == 400
    assert again.json() == {
        "success": False,
        "error": "The password reset link is invalid, already used or expired.",
        "code": "invalid_token",
    }
    assert _password_hash(cook) == changed


def test_a_reset_token_still_works_just_before_it_expires(
    anon_client, cook, mailoutbox, settings, monkeypatch
):
    settings.PASSWORD_RESET_TIMEOUT = 60 * 60
    uid, token = _reset_token_of(anon_client, mailoutbox)
    later = default_token_generator._now() + timedelta(minutes=59)
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)

    assert _confirm(anon_client, uid, token).status_code == 200


def test_an_expired_reset_token_is_refused(anon_client, cook, mailoutbox, settings, monkeypatch):
    settings.PASSWORD_RESET_TIMEOUT = 60 * 60
    uid, token = _reset_token_of(anon_client, mailoutbox)
    before = _password_hash(cook)
    later = default_token_generator._now() + timedelta(minutes=61)
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)

    response = _confirm(anon_client, uid, token)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"
    assert _password_hash(cook) == before


def test_a_sign_in_after_the_request_voids_the_token(anon_client, cook, mailoutbox):
    uid, token = _reset_token_of(anon_client, mailoutbox)
    _login(anon_client, "cook@example.com", TEST_PASSWORD)

    response = _confirm(anon_client, uid, token)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


@pytest.mark.parametrize(
    ("uid", "token"),
    [
        ("garbage", "garbage"),
        ("!!!", "1-2"),
        (urlsafe_base64_encode(b"99999999999999999999999999"), "abc-def"),
        (urlsafe_base64_encode(b"not-a-number"), "abc-def"),
    ],
)
def test_a_malformed_uid_or_token_is_refused(anon_client, cook, uid, token):
    before = _password_hash(cook)

    response = _confirm(anon_client, uid, token)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"
    assert _password_hash(cook) == before


def test_another_users_token_does_not_open_this_account(anon_client, cook, mailoutbox):
    user_with_role("viewer", email="other@example.com")
    _uid, token = _reset_token_of(anon_client, mailoutbox, "other@example.com")
    cook_uid = urlsafe_base64_encode(force_bytes(cook.pk))
    before = _password_hash(cook)

    response = _confirm(anon_client, cook_uid, token)

    assert response.status_code == 400
    assert _password_hash(cook) == before


def test_a_token_of_a_user_deactivated_since_is_refused(anon_client, cook, mailoutbox):
    uid, token = _reset_token_of(anon_client, mailoutbox)
    cook.is_active = False
    cook.save()

    response = _confirm(anon_client, uid, token)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


def test_a_weak_password_is_refused_and_changes_nothing(anon_client, cook, mailoutbox):
    uid, token = _reset_token_of(anon_client, mailoutbox)
    before = _password_hash(cook)

    response = _confirm(anon_client, uid, token, password="12345678")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "weak_password"
    assert set(body["details"]) == {"password"}
    assert _password_hash(cook) == before
    assert _confirm(anon_client, uid, token).status_code == 200  # the token is still good


def test_confirm_revokes_earlier_access_and_refresh_tokens(anon_client, cook, mailoutbox):
    signed_in = _login(anon_client, "cook@example.com", TEST_PASSWORD).json()["data"]
    uid, token = _reset_token_of(anon_client, mailoutbox)

    _confirm(anon_client, uid, token)

    anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {signed_in['token']}")
    assert anon_client.get("/api/auth/me").status_code == 401
    anon_client.credentials()
    refresh = anon_client.post(
        "/api/auth/refresh", {"refresh": signed_in["refresh"]}, format="json"
    )
    assert refresh.status_code == 401


def test_confirm_blacklists_the_users_outstanding_refresh_tokens(anon_client, cook, mailoutbox):
    _login(anon_client, "cook@example.com", TEST_PASSWORD)
    _login(anon_client, "cook@example.com", TEST_PASSWORD)
    uid, token = _reset_token_of(anon_client, mailoutbox)

    _confirm(anon_client, uid, token)

    outstanding = OutstandingToken.objects.filter(user=cook)
    assert outstanding.count() == 2
    assert BlacklistedToken.objects.filter(token__user=cook).count() == 2


@pytest.fixture
def reset_limits(settings):
    settings.PASSWORD_RESET_RATE_LIMIT_PER_EMAIL = 2
    settings.PASSWORD_RESET_RATE_LIMIT_PER_IP = 3
    settings.PASSWORD_RESET_CONFIRM_RATE_LIMIT_PER_IP = 2
    settings.PASSWORD_RATE_LIMIT_WINDOW_MIN = 60
    return settings


def test_reset_requests_are_limited_per_email(reset_limits, anon_client, cook, mailoutbox):
    for n in range(2):
        _request_reset(anon_client, "cook@example.com", REMOTE_ADDR=f"10.2.0.{n}")

    response = _request_reset(anon_client, "cook@example.com", REMOTE_ADDR="10.2.1.1")

    assert response.status_code == 429
    assert response.json() == {
        "success": False,
        "error": TOO_MANY_REQUESTS,
        "code": "rate_limited",
    }
    assert 1 <= int(response["Retry-After"]) <= 60 * 60
    assert response["RateLimit-Limit"] == "2"
    assert len(mailoutbox) == 2


def test_reset_requests_are_limited_per_ip(reset_limits, anon_client, cook, mailoutbox):
    for n in range(3):
        _request_reset(anon_client, f"someone{n}@example.com")

    response = _request_reset(anon_client, "cook@example.com")

    assert response.status_code == 429
    assert mailoutbox == []


def test_the_reset_limit_answers_alike_for_unknown_addresses(reset_limits, anon_client):
    for _ in range(2):
        _request_reset(anon_client, "nobody@example.com")

    assert _request_reset(anon_client, "nobody@example.com").status_code == 429


def test_confirm_attempts_are_limited_per_ip(reset_limits, anon_client, cook, mailoutbox):
    uid, token = _reset_token_of(anon_client, mailoutbox)
    before = _password_hash(cook)
    for guess in ("1-1", "2-2"):
        _confirm(anon_client, uid, guess)

    response = _confirm(anon_client, uid, token)

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    assert _password_hash(cook) == before


def test_confirm_attempts_from_another_ip_count_apart(reset_limits, anon_client, cook, mailoutbox):
    uid, token = _reset_token_of(anon_client, mailoutbox)
    for guess in ("1-1", "2-2"):
        _confirm(anon_client, uid, guess, REMOTE_ADDR="10.3.0.1")

    assert _confirm(anon_client, uid, token, REMOTE_ADDR="10.3.0.2").status_code == 200
