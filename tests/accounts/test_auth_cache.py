"""The cached state of API callers: no query for a known caller, and every change seen at once."""

import pytest
from django.contrib.auth.models import Group

from accounts.services import user_set_password, user_set_role
from tests.conftest import client_for, user_with_role
from tests.factories import TEST_PASSWORD
from tests.helpers import UNREACHABLE_REDIS

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer():
    return user_with_role("viewer", email="reader@example.com")


def test_a_cached_response_to_a_known_caller_needs_no_query(
    viewer, item, django_assert_num_queries
):
    client = client_for(viewer)
    client.get("/api/items")
    client.get("/api/items")

    with django_assert_num_queries(0):
        response = client.get("/api/items")

    assert response["X-Cache"] == "HIT"


def test_a_new_role_takes_effect_on_the_next_request(viewer, item):
    client = client_for(viewer)
    assert (
        client.patch(f"/api/items/{item.sku}", {"par_level": 3}, format="json").status_code == 403
    )

    user_set_role(user=viewer, role="staff")

    assert (
        client.patch(f"/api/items/{item.sku}", {"par_level": 3}, format="json").status_code == 200
    )


def test_a_role_taken_away_in_the_admin_takes_effect_on_the_next_request(viewer, item):
    client = client_for(viewer)
    client.get("/api/items")

    Group.objects.get(name="viewer").user_set.remove(viewer)

    assert client.get("/api/items").status_code == 403


def test_a_deactivated_user_is_refused_on_the_next_request(viewer, item):
    client = client_for(viewer)
    client.get("/api/items")

    viewer.is_active = False
    viewer.save()

    assert client.get("/api/items").status_code == 401


def test_a_new_password_revokes_tokens_on_the_next_request(viewer, item):
    client = client_for(viewer)
    client.get("/api/items")

    user_set_password(
        user=viewer, password="a brand new long passphrase", check_password_strength=False
    )

    assert client.get("/api/items").status_code == 401


def test_a_deleted_user_is_refused_on_the_next_request(viewer, item):
    client = client_for(viewer)
    client.get("/api/items")

    viewer.delete()

    assert client.get("/api/items").status_code == 401


def test_callers_are_authenticated_from_the_database_when_the_cache_is_away(viewer, item, settings):
    client = client_for(viewer)
    settings.CACHES = UNREACHABLE_REDIS
    settings.RATELIMIT_ENABLE = False

    response = client.get("/api/items")

    assert response.status_code == 200


def test_writes_by_a_cached_caller_record_who_made_them(stocked):
    staff = user_with_role("staff", email="writer@example.com")
    client = client_for(staff)
    client.get("/api/items")

    client.post(
        "/api/inventory/issue",
        {"sku": stocked.item.sku, "location": stocked.location.code, "quantity": 1},
        format="json",
    )

    assert stocked.movements.latest("id").created_by == staff


def test_a_user_rebuilt_from_the_cache_refuses_to_be_saved(viewer):
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.authentication import CachedUserJWTAuthentication
    from accounts.tokens import tokens_for_user

    token = AccessToken(str(tokens_for_user(viewer).access_token))
    authentication = CachedUserJWTAuthentication()
    authentication.get_user(token)  # from the database, now cached
    rebuilt = authentication.get_user(token)

    with pytest.raises(RuntimeError):
        rebuilt.save()
    viewer.refresh_from_db()
    assert viewer.check_password(TEST_PASSWORD)
