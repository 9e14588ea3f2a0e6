"""The v20 envelope on every answer: `{success, data, [count], [message]}` or
`{success: false, error, code, [details]}`; client mistakes are 4xx, never a 500 or a trace."""

import json
from decimal import Decimal

import pytest

from inventory.models import Location, StockMovement, StockRecord
from inventory.services import stock_receive
from items.models import Item
from tests.factories import ItemFactory, LocationFactory

pytestmark = pytest.mark.django_db

SUCCESS_KEYS = {"success", "data", "count", "message", "limit", "offset"}
FAILURE_KEYS = {"success", "error", "code", "details"}

WRITE_ROUTES = [
    ("post", "/api/items"),
    ("put", "/api/items/SKU-1001"),
    ("patch", "/api/items/SKU-1001"),
    ("post", "/api/inventory/receive"),
    ("post", "/api/inventory/issue"),
    ("post", "/api/inventory/count"),
    ("post", "/api/inventory/adjust"),
    ("post", "/api/inventory/transfer"),
    ("post", "/api/locations"),
]
WRITE_ROUTE_IDS = [f"{method}-{path}" for method, path in WRITE_ROUTES]
BODY_WRITE_ROUTES = [
    pytest.param(*route, id=f"{route[0]}-{route[1]}")
    for route in WRITE_ROUTES
    if route[0] != "patch"
]


@pytest.fixture
def world():
    item = ItemFactory(sku="SKU-1001", name="Chicken breast")
    walk_in = LocationFactory(code="WALK-IN")
    LocationFactory(code="FREEZER")
    stock_receive(item=item, location=walk_in, quantity=Decimal(10))


def _state():
    return (
        list(Item.objects.order_by("pk").values()),
        list(Location.objects.order_by("pk").values()),
        list(StockRecord.objects.order_by("pk").values()),
        StockMovement.objects.count(),
    )


def _send(client, method, path, raw: bytes, content_type="application/json"):
    return getattr(client, method)(path, raw, content_type=content_type)


def _assert_failure_envelope(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert set(body) <= FAILURE_KEYS
    assert {"success", "error", "code"} <= set(body)
    assert isinstance(body["error"], str)
    assert body["error"]
    return body


# --- success ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/items",
        "/api/items/SKU-1001",
        "/api/inventory",
        "/api/inventory/summary",
        "/api/inventory/movements",
        "/api/locations",
        "/api/locations/WALK-IN",
    ],
)
def test_every_read_answers_the_success_envelope(api_client, world, path):
    response = api_client.get(path)

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert "data" in body
    assert set(body) <= SUCCESS_KEYS


def test_a_whole_list_answers_success_data_and_count_only(api_client, world):
    response = api_client.get("/api/items")

    assert set(response.json()) == {"success", "data", "count"}


def test_a_single_object_answers_success_and_data_only(api_client, world):
    response = api_client.get("/api/items/SKU-1001")

    assert set(response.json()) == {"success", "data"}


def test_a_create_answers_success_data_and_message(api_client, world):
    response = api_client.post("/api/items", {"sku": "SKU-2", "name": "Two"}, format="json")

    assert set(response.json()) == {"success", "data", "message"}


# --- failures --------------------------------------------------------------------------------


def test_a_validation_failure_answers_error_code_and_details_per_field(api_client, world):
    response = api_client.post(
        "/api/inventory/receive",
        {"sku": "SKU-1001", "location": "WALK-IN", "quantity": "many"},
        format="json",
    )

    body = _assert_failure_envelope(response, 400)
    assert set(body) == FAILURE_KEYS
    assert body["code"] == "invalid"
    assert body["details"] == {"quantity": ["A valid number is required."]}
    assert body["error"] == "quantity: A valid number is required."


def test_a_failure_without_a_field_has_no_details(api_client, world):
    response = api_client.get("/api/items/SKU-NOPE")

    body = _assert_failure_envelope(response, 404)
    assert set(body) == {"success", "error", "code"}


MALFORMED_JSON = [
    pytest.param(b"{bad json", id="broken"),
    pytest.param(b'{"sku": "SKU-1001",}', id="trailing-comma"),
    pytest.param(b'{"sku": "SKU-1001"', id="unterminated"),
    pytest.param(b'{"quantity": NaN}', id="nan-literal"),
    pytest.param(b'{"quantity": Infinity}', id="infinity-literal"),
    pytest.param(b"\xff\xfe\x00{", id="not-utf8"),
]
NOT_AN_OBJECT = [
    pytest.param(b"[]", id="empty-list"),
    pytest.param(b'[{"sku": "SKU-1001"}]', id="list-of-objects"),
    pytest.param(b"42", id="number"),
    pytest.param(b'"text"', id="string"),
    pytest.param(b"true", id="boolean"),
    pytest.param(b"null", id="null"),
]


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES, ids=WRITE_ROUTE_IDS)
def test_a_malformed_json_body_is_a_400_on_every_write_route_and_changes_nothing(
    api_client, world, method, path
):
    before = _state()

    response = _send(api_client, method, path, b'{"sku": "SKU-1001", oops}')

    body = _assert_failure_envelope(response, 400)
    assert body["code"] == "parse_error"
    assert body["error"].startswith("Malformed request body")
    assert _state() == before


@pytest.mark.parametrize("raw", MALFORMED_JSON)
def test_every_kind_of_malformed_json_is_a_400_parse_error_and_changes_nothing(
    api_client, world, raw
):
    before = _state()

    response = _send(api_client, "post", "/api/inventory/receive", raw)

    body = _assert_failure_envelope(response, 400)
    assert body["code"] == "parse_error"
    assert _state() == before


@pytest.mark.parametrize(("method", "path"), BODY_WRITE_ROUTES)
def test_an_empty_body_is_a_400_naming_the_missing_fields_and_changes_nothing(
    api_client, world, method, path
):
    before = _state()

    response = _send(api_client, method, path, b"")

    body = _assert_failure_envelope(response, 400)
    assert body["details"]
    assert body["error"] == "SKU and name are required" or any(
        body["error"].startswith(f"{field}:") for field in body["details"]
    )
    assert _state() == before


def test_a_patch_with_an_empty_body_changes_nothing(api_client, world):
    before = _state()

    response = _send(api_client, "patch", "/api/items/SKU-1001", b"")

    assert response.status_code == 200
    assert _state() == before


@pytest.mark.parametrize(
    "raw", [pytest.param(b"[1, 2]", id="list"), pytest.param(b"null", id="null")]
)
@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES, ids=WRITE_ROUTE_IDS)
def test_a_json_body_that_is_not_an_object_is_a_400_on_every_write_route_and_changes_nothing(
    api_client, world, method, path, raw
):
    before = _state()

    response = _send(api_client, method, path, raw)

    _assert_failure_envelope(response, 400)
    assert _state() == before


@pytest.mark.parametrize("raw", NOT_AN_OBJECT)
def test_every_kind_of_json_that_is_not_an_object_is_a_400_and_changes_nothing(
    api_client, world, raw
):
    before = _state()

    response = _send(api_client, "post", "/api/items", raw)

    _assert_failure_envelope(response, 400)
    assert _state() == before


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES, ids=WRITE_ROUTE_IDS)
def test_a_form_encoded_body_is_a_415_and_changes_nothing(api_client, world, method, path):
    before = _state()

    response = _send(api_client, method, path, b"sku=X&name=Y", "application/x-www-form-urlencoded")

    body = _assert_failure_envelope(response, 415)
    assert body["code"] == "unsupported_media_type"
    assert _state() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", "/api/inventory"),
        ("post", "/api/inventory/summary"),
        ("get", "/api/inventory/receive"),
        ("put", "/api/locations/WALK-IN"),
        ("delete", "/api/locations/WALK-IN"),
        ("put", "/api/items"),
    ],
)
def test_a_method_a_route_does_not_serve_is_a_405_in_the_envelope(api_client, world, method, path):
    before = _state()

    response = getattr(api_client, method)(path)

    body = _assert_failure_envelope(response, 405)
    assert body["code"] == "method_not_allowed"
    assert _state() == before


# --- unknown paths -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/does-not-exist"),
        ("post", "/api/does-not-exist"),
        ("get", "/api"),
        ("get", "/api/"),
        ("get", "/api/items/SKU-1001/extra"),
        ("get", "/api/inventory/receive/extra"),
        ("get", "/jobs"),
        ("get", "/jobs/does-not-exist"),
        ("post", "/jobs/does-not-exist"),
    ],
)
def test_an_unknown_api_or_jobs_path_is_a_404_in_the_envelope(api_client, method, path):
    response = getattr(api_client, method)(path)

    body = _assert_failure_envelope(response, 404)
    assert body == {
        "success": False,
        "error": f"Route {method.upper()} {path} not found",
        "code": "not_found",
    }


def test_an_unknown_path_is_a_404_in_the_envelope_for_anonymous_callers_too(anon_client):
    response = anon_client.get("/jobs/does-not-exist")

    _assert_failure_envelope(response, 404)


# --- no trace ever leaves the server -------------------------------------------------------------


def test_an_unexpected_error_answers_a_bare_500_envelope_without_the_trace(
    api_client, world, monkeypatch
):
    def explode():
        raise RuntimeError("secret-internal-detail")

    monkeypatch.setattr("items.selectors.item_queryset", explode)

    response = api_client.get("/api/items")

    assert response.status_code == 500
    assert response.json() == {
        "success": False,
        "error": "Internal server error",
        "code": "server_error",
    }
    assert b"secret-internal-detail" not in response.content
    assert b"Traceback" not in response.content


def test_json_nested_too_deeply_is_a_400_not_a_500(api_client):
    body = "[" * 100_000 + "]" * 100_000

    response = api_client.post("/api/items", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize("param", ["offset", "limit"])
def test_an_absurdly_large_page_parameter_is_a_400(api_client, param):
    response = api_client.get(f"/api/items?{param}=99999999999999999999")

    assert response.status_code == 400
    assert param in response.json()["details"]


@pytest.mark.parametrize("path", ["/api/items", "/api/inventory/receive", "/api/auth/login"])
def test_a_json_body_over_the_upload_limit_is_a_413_and_changes_nothing(api_client, settings, path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    body = json.dumps({"sku": "SKU-BIG", "name": "x" * (128 * 1024), "quantity": 1})
    items_before, movements_before = Item.objects.count(), StockMovement.objects.count()

    response = api_client.post(path, data=body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {
        "success": False,
        "error": "Request body too large",
        "code": "request_too_large",
    }
    assert (Item.objects.count(), StockMovement.objects.count()) == (
        items_before,
        movements_before,
    )
