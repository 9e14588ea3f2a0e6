"""No new location code may hold invisible or control characters, or be `.` or `..`."""

import pytest
from django.urls import reverse

from inventory.models import Location
from inventory.services import location_create
from inventory_project.errors import ServiceError

pytestmark = pytest.mark.django_db

BAD_CODES = [
    pytest.param("BAR\u200b2", id="zero-width-space"),
    pytest.param("BAR\u202e2", id="bidi-override"),
    pytest.param("BAR\u20282", id="line-separator"),
    pytest.param("BAR\x9b2", id="c1-control"),
    pytest.param("BAR\ufeff2", id="byte-order-mark"),
    pytest.param(".", id="dot"),
    pytest.param("..", id="dot-dot"),
    pytest.param("BAR/2", id="slash"),
]


@pytest.mark.parametrize("code", BAD_CODES)
def test_location_create_refuses_the_code(code):
    with pytest.raises(ServiceError) as refused:
        location_create(code=code)

    assert (refused.value.code, refused.value.field) == ("invalid_location", "code")
    assert not Location.objects.exists()


@pytest.mark.parametrize("code", BAD_CODES)
def test_the_api_refuses_to_create_a_location_with_the_code(staff_client, code):
    response = staff_client.post("/api/locations", {"code": code}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_location"
    assert not Location.objects.exists()


@pytest.mark.parametrize("code", BAD_CODES)
def test_the_admin_add_form_refuses_the_code(admin_client, code):
    response = admin_client.post(
        reverse("admin:inventory_location_add"), {"code": code, "name": "", "active": "on"}
    )

    assert response.status_code == 200
    assert "code" in response.context["adminform"].form.errors
    assert not Location.objects.exists()
