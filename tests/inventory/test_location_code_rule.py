"""No new location code may hold invisible or control characters, or be `.` or `..`."""

import pytest
from django.urls import reverse

from inventory.models import Location, StockRecord
from inventory.services import location_create
from inventory_project.service_errors import ServiceError
from tests.platform.csvio.support import STOCK_IMPORT, post_csv

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


# --- locations stored before the rule keep working -----------------------------------------


LEGACY_CODES = [
    pytest.param("..", id="dot-dot"),
    pytest.param("BAR\u202e2", id="bidi-override"),
]


def legacy_location(code: str) -> Location:
    # Written directly, past the services, as a row stored before the rule existed.
    return Location.objects.create(code=code)


@pytest.mark.parametrize("code", LEGACY_CODES)
def test_a_stock_import_counts_at_a_location_stored_before_the_rule(staff_client, item, code):
    location = legacy_location(code)

    body = post_csv(staff_client, STOCK_IMPORT, f'sku,location,quantity\nSKU-1001,"{code}",3\n')

    assert body.json()["errors"] == []
    assert body.json()["data"]["created_locations"] == []
    record = StockRecord.objects.get()
    assert (record.location, record.quantity) == (location, 3)
    assert list(Location.objects.values_list("code", flat=True)) == [code]


@pytest.mark.parametrize("code", LEGACY_CODES)
def test_the_admin_saves_a_location_stored_before_the_rule(admin_client, code):
    location = legacy_location(code)
    url = reverse("admin:inventory_location_change", args=[location.pk])

    response = admin_client.post(url, {"name": "Cold room", "active": "on"})

    assert response.status_code == 302, response.context["adminform"].form.errors
    location.refresh_from_db()
    assert (location.code, location.name) == (code, "Cold room")
