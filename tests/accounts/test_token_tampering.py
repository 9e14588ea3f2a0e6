"""A token changed in any field, header or signature is refused, access and refresh alike.

Each claim of a real token is changed in turn and the token re-assembled with its original
signature; the API must answer 401 in the envelope and the refresh route must mint nothing.
"""

import base64
import json

import pytest

from accounts.tokens import tokens_for_user
from tests.conftest import user_with_role

pytestmark = pytest.mark.django_db


def _decode(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _encode(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _changed(value):
    """A different value of the same kind."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if value is None:
        return "admin"
    return f"{value}x"


def _tampered_variants(raw: str) -> list[tuple[str, str]]:
    header, payload, signature = raw.split(".")
    claims, head = _decode(payload), _decode(header)
    variants = [
        (f"claim {name}", f"{header}.{_encode({**claims, name: _changed(value)})}.{signature}")
        for name, value in claims.items()
    ]
    variants += [
        (f"header {name}", f"{_encode({**head, name: _changed(value)})}.{payload}.{signature}")
        for name, value in head.items()
    ]
    variants.append(("header alg none", f"{_encode({**head, 'alg': 'none'})}.{payload}."))
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    variants.append(("signature", f"{header}.{payload}.{flipped}"))
    variants.append(("no signature", f"{header}.{payload}."))
    return variants


@pytest.fixture
def staff():
    return user_with_role("staff", email="tamper@example.com")


def test_an_access_token_changed_in_any_field_is_refused(client, staff):
    raw = str(tokens_for_user(staff).access_token)
    assert client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200

    answers = {
        what: client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}")
        for what, token in _tampered_variants(raw)
    }

    assert len(answers) >= 12  # every claim of the token, the header and the signature
    for what, response in answers.items():
        assert response.status_code == 401, what
        assert response.json()["success"] is False, what


def test_a_refresh_token_changed_in_any_field_mints_nothing(client, staff):
    raw = str(tokens_for_user(staff))

    answers = {
        what: client.post("/api/auth/refresh", {"refresh": token}, content_type="application/json")
        for what, token in _tampered_variants(raw)
    }

    assert len(answers) >= 12
    for what, response in answers.items():
        assert response.status_code == 401, what
        assert "token" not in (response.json().get("data") or {}), what
