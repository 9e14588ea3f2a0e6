"""Sessions, CSRF, the session's user and messages run for browsers only: a bearer-token call to
the API skips them, the admin and any caller bearing the session cookie keep every check."""

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from items.models import Item
from tests.conftest import client_for, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    return user_with_role("admin", email="desk-admin@example.com")


def _browser_signed_in_as(user) -> Client:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    return browser


def test_bearer_token_call_opens_no_session_and_sets_no_cookie(api_client, item):
    response = api_client.get(f"/api/items/{item.sku}")

    assert response.status_code == 200
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert not hasattr(response.wsgi_request, "session")


def test_bearer_token_write_needs_no_csrf_token(admin_user):
    client = client_for(admin_user)
    client.handler.enforce_csrf_checks = True

    response = client.post("/api/items", {"sku": "SKU-NEW", "name": "Basil"}, format="json")

    assert response.status_code == 201
    assert Item.objects.filter(sku="SKU-NEW").exists()


def test_session_call_to_the_api_without_csrf_token_is_refused_and_changes_nothing(admin_user):
    browser = _browser_signed_in_as(admin_user)

    response = browser.post(
        "/api/items", {"sku": "SKU-CSRF", "name": "Basil"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert not Item.objects.filter(sku="SKU-CSRF").exists()


def test_session_call_to_the_api_is_signed_in_as_the_session_user(admin_user, item):
    browser = _browser_signed_in_as(admin_user)

    response = browser.get(f"/api/items/{item.sku}")

    assert response.status_code == 200
    assert response.wsgi_request.user == admin_user


def test_admin_login_form_without_csrf_token_is_refused():
    browser = Client(enforce_csrf_checks=True)

    response = browser.post("/admin/login/", {"username": "x@example.com", "password": "pw"})

    assert response.status_code == 403


def test_admin_login_page_sets_the_csrf_cookie_for_a_new_browser():
    response = Client().get("/admin/login/")

    assert response.status_code == 200
    assert settings.CSRF_COOKIE_NAME in response.cookies


def _deactivate_in_the_admin(browser, item, **extra):
    return browser.post(
        "/admin/items/item/",
        {"action": "deactivate_selected", "_selected_action": [item.pk], **extra},
        follow=True,
    )


def test_admin_action_without_csrf_token_is_refused_and_changes_nothing(admin_user, item):
    browser = _browser_signed_in_as(admin_user)

    response = _deactivate_in_the_admin(browser, item)

    assert response.status_code == 403
    item.refresh_from_db()
    assert item.active


def test_admin_action_with_csrf_token_runs_and_shows_its_message(admin_user, item):
    browser = _browser_signed_in_as(admin_user)
    browser.get("/admin/items/item/")
    token = browser.cookies[settings.CSRF_COOKIE_NAME].value

    response = _deactivate_in_the_admin(browser, item, csrfmiddlewaretoken=token)

    assert response.status_code == 200
    item.refresh_from_db()
    assert not item.active
    assert [str(message) for message in response.context["messages"]]


def test_unauthenticated_api_call_gets_no_session_cookie():
    response = APIClient().get("/api/health")

    assert response.status_code == 200
    assert not response.cookies
