"""GET and POST /api/promotions: planned promotions listed for viewers, planned by staff."""

import pytest

from forecasting.models import Promotion
from tests.conftest import client_for, user_with_role
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

PLAN = {"sku": "PROMO-1", "first_day": "2025-03-07", "last_day": "2025-03-09", "note": "Spring"}


@pytest.fixture
def item():
    return ItemFactory(sku="PROMO-1")


@pytest.fixture
def staff():
    return client_for(user_with_role("staff", email="promo-staff@example.com"))


@pytest.fixture
def viewer():
    return client_for(user_with_role("viewer", email="promo-viewer@example.com"))


def test_staff_plan_a_promotion(staff, item):
    response = staff.post("/api/promotions", PLAN, format="json")

    assert response.status_code == 201, response.content
    row = response.json()["data"]
    assert {k: row[k] for k in PLAN} == PLAN
    assert Promotion.objects.get().item == item


def test_a_viewer_may_not_plan_a_promotion_and_nothing_is_saved(viewer, item):
    response = viewer.post("/api/promotions", PLAN, format="json")

    assert response.status_code == 403
    assert not Promotion.objects.exists()


def test_a_promotion_ending_before_it_starts_is_refused(staff, item):
    response = staff.post(
        "/api/promotions",
        {**PLAN, "first_day": "2025-03-09", "last_day": "2025-03-07"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_promotion"
    assert not Promotion.objects.exists()


def test_an_unknown_sku_is_refused(staff, item):
    response = staff.post("/api/promotions", {**PLAN, "sku": "NOPE"}, format="json")

    assert response.status_code == 400
    assert not Promotion.objects.exists()


def test_viewers_list_promotions_narrowed_by_sku_and_days(viewer, staff, item):
    ItemFactory(sku="OTHER")
    staff.post("/api/promotions", PLAN, format="json")
    later = {**PLAN, "first_day": "2025-05-01", "last_day": "2025-05-02"}
    staff.post("/api/promotions", later, format="json")
    staff.post("/api/promotions", {**PLAN, "sku": "OTHER"}, format="json")

    response = viewer.get(
        "/api/promotions",
        {"sku": "PROMO-1", "active_from": "2025-03-09", "active_to": "2025-04-01"},
    )

    assert response.status_code == 200, response.content
    assert Promotion.objects.count() == 3
    rows = response.json()["data"]
    assert [(r["sku"], r["first_day"]) for r in rows] == [("PROMO-1", "2025-03-07")]
