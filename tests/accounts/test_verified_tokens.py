"""Access tokens are verified once per process: later requests reuse the checked signature,
and everything that can turn a token bad (expiry, a dropped key, tampering) still refuses it."""

from datetime import timedelta

import jwt
import pytest
from rest_framework_simplejwt import tokens as simplejwt_tokens
from rest_framework_simplejwt.utils import aware_utcnow

from accounts import tokens
from accounts.tokens import tokens_for_user
from tests.conftest import user_with_role

pytestmark = pytest.mark.django_db

OLD_SECRET = "the-old-secret-that-signed-yesterdays-tokens-0001"
NEW_SECRET = "the-new-secret-that-signs-every-token-from-now-02"


@pytest.fixture(autouse=True)
def _no_verified_tokens():
    tokens._verified_payloads.clear()
    yield
    tokens._verified_payloads.clear()


@pytest.fixture
def signature_checks(monkeypatch):
    """How many times PyJWT decoded (and so checked the signature of) a token."""
    calls = []
    real_decode = jwt.decode

    def counting_decode(*args, **kwargs):
        calls.append(args[0])
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting_decode)
    return calls


@pytest.fixture
def viewer():
    return user_with_role("viewer", email="viewer@example.com")


def _me(token):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get("/api/auth/me")


def _use_secrets(settings, current, previous=""):
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": current}
    settings.JWT_SECRET = current
    settings.JWT_SECRET_PREVIOUS = previous


def test_a_token_signature_is_checked_once_for_many_requests(viewer, signature_checks):
    token = str(tokens_for_user(viewer).access_token)

    answers = [_me(token).status_code for _ in range(5)]

    assert answers == [200] * 5
    assert signature_checks == [token]


def test_an_expired_token_is_refused_although_its_signature_was_checked(viewer, monkeypatch):
    token = str(tokens_for_user(viewer).access_token)
    assert _me(token).status_code == 200
    two_days_on = aware_utcnow() + timedelta(days=2)
    monkeypatch.setattr(simplejwt_tokens, "aware_utcnow", lambda: two_days_on)

    response = _me(token)

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_a_token_of_the_previous_secret_is_refused_once_that_secret_is_dropped(settings, viewer):
    _use_secrets(settings, OLD_SECRET)
    token = str(tokens_for_user(viewer).access_token)
    _use_secrets(settings, NEW_SECRET, previous=OLD_SECRET)
    assert _me(token).status_code == 200

    _use_secrets(settings, NEW_SECRET)

    assert _me(token).status_code == 401


def test_a_changed_token_is_checked_afresh_and_refused(viewer):
    token = str(tokens_for_user(viewer).access_token)
    assert _me(token).status_code == 200
    header, payload, signature = token.split(".")
    forged = ".".join(
        [header, payload, signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")]
    )

    assert _me(forged).status_code == 401


def test_a_refused_token_is_not_remembered(viewer, signature_checks):
    forged = str(tokens_for_user(viewer).access_token)[:-4] + "AAAA"

    first = _me(forged).status_code
    checks_per_request = len(signature_checks)
    second = _me(forged).status_code

    assert (first, second) == (401, 401)
    assert len(signature_checks) == 2 * checks_per_request
    assert tokens._verified_payloads == {}


def test_the_store_of_checked_tokens_is_bounded(viewer, monkeypatch):
    monkeypatch.setattr(tokens, "VERIFIED_TOKENS_KEPT", 3)
    client_tokens = [str(tokens_for_user(viewer).access_token) for _ in range(7)]

    for token in client_tokens:
        assert _me(token).status_code == 200

    assert 1 <= len(tokens._verified_payloads) <= 3


def test_each_request_gets_its_own_copy_of_the_claims(viewer):
    raw = str(tokens_for_user(viewer).access_token)
    tokens.AccessToken(raw).payload["role"] = "admin"

    again = tokens.AccessToken(raw)

    assert again.payload["role"] == "viewer"
