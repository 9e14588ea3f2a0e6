"""Every route x {anonymous, viewer, staff, admin}: the status the role table promises, and a
denied write that changed nothing."""

from datetime import date
from decimal import Decimal

import pytest

from forecasting.models import DailyUsage, ForecastRun, ItemForecast, Promotion
from inventory.models import Location, StockMovement, StockRecord
from inventory.services import stock_receive
from inventory_project.jobs.models import JobRun
from items.models import Item
from tests.conftest import client_for, user_with_role
from tests.factories import TEST_PASSWORD, ItemFactory, LocationFactory

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "viewer", "staff", "admin")
STOCK = {"sku": "SKU-1001", "location": "WALK-IN"}

# method, path, body (a str is sent as a text/csv body), least role allowed, status when allowed
ROUTES = [
    ("get", "/api/items", None, "viewer", 200),
    ("get", "/api/items/SKU-1001", None, "viewer", 200),
    ("post", "/api/items", {"sku": "SKU-NEW", "name": "New item"}, "staff", 201),
    ("put", "/api/items/SKU-1001", {"name": "Renamed"}, "staff", 200),
    ("patch", "/api/items/SKU-1001", {"par_level": 3}, "staff", 200),
    ("delete", "/api/items/SKU-1001", None, "admin", 200),
    ("get", "/api/inventory", None, "viewer", 200),
    ("get", "/api/inventory/summary", None, "viewer", 200),
    ("get", "/api/inventory/movements", None, "viewer", 200),
    ("post", "/api/inventory/receive", {**STOCK, "quantity": 1}, "staff", 201),
    ("post", "/api/inventory/issue", {**STOCK, "quantity": 1}, "staff", 201),
    ("post", "/api/inventory/count", {**STOCK, "quantity": 7}, "staff", 201),
    (
        "post",
        "/api/inventory/adjust",
        {**STOCK, "quantity_delta": -1, "reason": "Spoiled"},
        "staff",
        201,
    ),
    (
        "post",
        "/api/inventory/transfer",
        {"sku": "SKU-1001", "from_location": "WALK-IN", "to_location": "FREEZER", "quantity": 1},
        "staff",
        201,
    ),
    ("get", "/api/locations", None, "viewer", 200),
    ("get", "/api/locations/WALK-IN", None, "viewer", 200),
    ("post", "/api/locations", {"code": "BAR", "name": "Bar"}, "staff", 201),
    ("get", "/api/auth/me", None, "viewer", 200),
    (
        "post",
        "/api/auth/password-change",
        {"current_password": TEST_PASSWORD, "new_password": "a fresh matrix passphrase 31"},
        "viewer",
        200,
    ),
    ("get", "/api/items/export", None, "viewer", 200),
    ("get", "/api/inventory/export", None, "viewer", 200),
    ("post", "/api/items/import", "sku,name\nSKU-1001,Imported name\n", "staff", 200),
    ("post", "/api/inventory/import", "sku,location,quantity\nSKU-1001,WALK-IN,7\n", "staff", 200),
    ("post", "/api/usage/import", "date,sku,quantity\n2025-01-01,SKU-1001,3\n", "staff", 200),
    ("post", "/jobs/maintenance", None, "admin", 200),
    ("get", "/api/forecasts", None, "viewer", 200),
    ("get", "/api/forecasts/runs", None, "viewer", 200),
    ("get", "/api/forecasts/SKU-1001", None, "viewer", 200),
    ("get", "/api/reorder-suggestions", None, "viewer", 200),
    ("get", "/api/promotions", None, "viewer", 200),
    (
        "post",
        "/api/promotions",
        {"sku": "SKU-1001", "first_day": "2025-02-03", "last_day": "2025-02-05"},
        "staff",
        201,
    ),
    ("get", "/api/audit", None, "admin", 200),
]


@pytest.fixture
def world():
    item = ItemFactory(sku="SKU-1001", name="Chicken breast")
    walk_in = LocationFactory(code="WALK-IN")
    LocationFactory(code="FREEZER")
    stock_receive(item=item, location=walk_in, quantity=Decimal(10))
    run = ForecastRun.objects.create(
        kind=ForecastRun.Kind.FORECAST,
        status=ForecastRun.Status.SUCCEEDED,
        history_end=date(2025, 1, 31),
    )
    ItemForecast.objects.create(
        run=run,
        item=item,
        demand_class="smooth",
        model="seasonal_es",
        horizon_start=date(2025, 2, 1),
        points=dict.fromkeys(("mean", "lo80", "hi80", "lo95", "hi95"), [1.0, 1.0]),
    )


def _client(role, anon_client):
    if role == "anonymous":
        return anon_client
    return client_for(user_with_role(role, email=f"{role}-matrix@example.com"))


def _state():
    return (
        list(Item.objects.order_by("pk").values()),
        list(StockRecord.objects.order_by("pk").values("pk", "quantity", "location_id")),
        StockMovement.objects.count(),
        list(Location.objects.order_by("pk").values("code")),
        JobRun.objects.count(),
        list(DailyUsage.objects.order_by("pk").values()),
        list(Promotion.objects.order_by("pk").values()),
    )


def _send(client, method, path, body):
    if isinstance(body, str):
        return getattr(client, method)(path, body.encode(), content_type="text/csv")
    return getattr(client, method)(path, body, format="json")


def _succeeded(response) -> bool:
    """The envelope's verdict; a CSV download has no envelope and succeeded if it answered 2xx."""
    if response["Content-Type"].startswith("text/csv"):
        b"".join(response.streaming_content)
        return response.status_code < 400
    return response.json()["success"]


def _expected(role, least_role, ok_status):
    if role == "anonymous":
        return 401
    return ok_status if ROLES.index(role) >= ROLES.index(least_role) else 403


CASES = [
    pytest.param(role, *route, id=f"{role}-{route[0]}-{route[1]}")
    for route in ROUTES
    for role in ROLES
]


@pytest.mark.parametrize(("role", "method", "path", "body", "least_role", "ok_status"), CASES)
def test_route_answers_each_role_as_the_table_says(
    world, anon_client, role, method, path, body, least_role, ok_status
):
    client = _client(role, anon_client)
    before = _state()

    response = _send(client, method, path, body)

    expected = _expected(role, least_role, ok_status)
    assert response.status_code == expected, response.content
    assert _succeeded(response) is (expected < 400)
    if expected >= 400:
        assert _state() == before


@pytest.mark.parametrize(
    ("method", "path", "body", "least_role"),
    [(m, p, b, r) for m, p, b, r, _ in ROUTES if r != "viewer"],
)
def test_a_denied_write_names_the_least_role_that_may_do_it(world, method, path, body, least_role):
    client = client_for(user_with_role("viewer", email="denied@example.com"))

    response = _send(client, method, path, body)

    assert response.status_code == 403
    assert response.json()["error"] == (f"Insufficient permissions. Required roles: {least_role}")


def test_anonymous_callers_get_401_in_the_envelope(world, anon_client):
    response = anon_client.get("/api/items")

    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "error": "Authentication required",
        "code": "not_authenticated",
    }


@pytest.mark.parametrize("path", [p for m, p, _b, _r, _s in ROUTES if m == "get" and "me" not in p])
def test_anonymous_read_setting_restores_v20_anonymous_gets(world, anon_client, settings, path):
    settings.API_ANONYMOUS_READ = True

    response = anon_client.get(path)

    assert response.status_code == 200


def test_anonymous_read_setting_still_refuses_anonymous_writes(world, anon_client, settings):
    settings.API_ANONYMOUS_READ = True
    before = _state()

    response = anon_client.post(
        "/api/items", {"sku": "SKU-ANON", "name": "Anonymous"}, format="json"
    )

    assert response.status_code == 401
    assert _state() == before


def test_a_superuser_without_groups_has_admin_rights(world):
    superuser = user_with_role("viewer", email="root@example.com", is_superuser=True)

    response = client_for(superuser).delete("/api/items/SKU-1001")

    assert response.status_code == 200


def test_stock_changed_by_staff_records_who_did_it(world):
    staff = user_with_role("staff", email="sam@example.com")

    client_for(staff).post("/api/inventory/issue", {**STOCK, "quantity": 2}, format="json")

    assert StockMovement.objects.latest("id").created_by == staff


def test_a_signed_in_user_without_a_role_cannot_read(world):
    from tests.factories import UserFactory

    response = client_for(UserFactory()).get("/api/items")

    assert response.status_code == 403
    assert response.json()["error"] == "Insufficient permissions. Required roles: viewer"


@pytest.mark.parametrize(
    ("method", "body"),
    [("patch", {"active": False}), ("put", {"name": "Renamed", "active": False})],
)
def test_staff_cannot_deactivate_an_item_by_updating_it(world, method, body):
    staff = client_for(user_with_role("staff", email="sly@example.com"))

    response = getattr(staff, method)("/api/items/SKU-1001", body, format="json")

    assert response.status_code == 403
    assert response.json()["error"] == "Insufficient permissions. Required roles: admin"
    assert Item.objects.get(sku="SKU-1001").active is True


def test_staff_cannot_reactivate_an_item_an_admin_deleted(world):
    client_for(user_with_role("admin", email="boss2@example.com")).delete("/api/items/SKU-1001")
    staff = client_for(user_with_role("staff", email="sly2@example.com"))

    response = staff.put("/api/items/SKU-1001", {"name": "Back"}, format="json")

    assert response.status_code == 403
    assert Item.objects.get(sku="SKU-1001").active is False


def test_staff_may_update_other_fields_of_an_item(world):
    staff = client_for(user_with_role("staff", email="fine@example.com"))

    response = staff.patch("/api/items/SKU-1001", {"par_level": 4, "active": True}, format="json")

    assert response.status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/health", "/api/health/status", "/api/schema/", "/api/docs/", "/metrics"]
)
def test_public_routes_answer_anonymous_callers(anon_client, path):
    assert anon_client.get(path).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/auth/login",
        "/api/auth/refresh",
        "/api/auth/logout",
        "/api/auth/password-reset",
        "/api/auth/password-reset/confirm",
    ],
)
def test_auth_routes_take_anonymous_callers_and_validate_their_body(anon_client, path):
    response = anon_client.post(path, {}, format="json")

    assert response.status_code == 400
    assert response.json()["success"] is False
