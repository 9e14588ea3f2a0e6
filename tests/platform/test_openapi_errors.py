"""Every kind of error the API sends matches what its OpenAPI document declares for it.

One real answer per status (and per shape of 400), validated by schemathesis against the response
the document names for that operation and status; the failures no single operation declares (a
405, an unknown route) against the failure envelope itself. The document closes the failure
envelope, so a key the exception handler adds, or one it renames, fails here.
"""

import json

import jsonschema
import pytest
import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

pytestmark = pytest.mark.django_db

ITEMS_CSV = "sku,name,par_level\nSKU-2,Two,2\nSKU-3,Three,lots\n"


@pytest.fixture(scope="module")
def document() -> dict:
    """The OpenAPI document as `/api/schema/` serves it (JSON types, lazy strings resolved)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


@pytest.fixture(scope="module")
def operations(document):
    return schemathesis.openapi.from_dict(document)


def _as_schemathesis(response) -> schemathesis.Response:
    return schemathesis.Response(
        status_code=response.status_code,
        headers={name.lower(): [value] for name, value in response.headers.items()},
        content=response.content,
        request=requests.Request("GET", "http://testserver/").prepare(),
        elapsed=0.0,
        verify=False,
    )


def _assert_declared(operations, method: str, path: str, response) -> None:
    """The operation declares this status with a JSON schema, and the body validates against it."""
    operation = operations[path][method.upper()]
    declared = operation.definition.raw["responses"]
    assert str(response.status_code) in declared, (method, path, response.status_code)
    assert "application/json" in declared[str(response.status_code)]["content"]
    operation.validate_response(_as_schemathesis(response))


def _assert_failure_envelope(document, response) -> None:
    registry = Registry().with_resource(
        "urn:api", Resource.from_contents(document, default_specification=DRAFT4)
    )
    validator = jsonschema.Draft4Validator(
        {"$ref": "urn:api#/components/schemas/ErrorEnvelope"}, registry=registry
    )
    validator.validate(response.json())


def test_the_failure_envelope_is_closed_and_always_names_success_error_and_code(document):
    envelope = document["components"]["schemas"]["ErrorEnvelope"]

    assert envelope["additionalProperties"] is False
    assert set(envelope["required"]) == {"success", "error", "code"}
    assert set(envelope["properties"]) == {"success", "error", "code", "details"}


def test_a_validation_error_with_details_per_field_is_the_declared_400(operations, staff_client):
    response = staff_client.post("/api/items", {"sku": "SKU-1"}, format="json")

    assert response.status_code == 400
    assert response.json()["details"] == {"name": ["This field is required."]}
    _assert_declared(operations, "post", "/api/items/", response)


def test_malformed_json_is_the_declared_400(operations, staff_client):
    response = staff_client.post("/api/items", b"{oops", content_type="application/json")

    assert response.json()["code"] == "parse_error"
    _assert_declared(operations, "post", "/api/items/", response)


def test_bad_credentials_are_the_declared_401(operations, anon_client):
    response = anon_client.post(
        "/api/auth/login", {"email": "nobody@example.com", "password": "x"}, format="json"
    )

    assert response.status_code == 401
    _assert_declared(operations, "post", "/api/auth/login/", response)


def test_a_refused_token_is_the_declared_401(operations, anon_client):
    response = anon_client.get("/api/items", HTTP_AUTHORIZATION="Bearer not-a-token")

    assert response.status_code == 401
    _assert_declared(operations, "get", "/api/items/", response)


def test_a_role_too_low_is_the_declared_403(operations, viewer_client):
    response = viewer_client.post("/api/items", {"sku": "SKU-1", "name": "One"}, format="json")

    assert response.status_code == 403
    _assert_declared(operations, "post", "/api/items/", response)


def test_an_unknown_item_is_the_declared_404(operations, viewer_client):
    response = viewer_client.get("/api/items/SKU-NOPE")

    assert response.status_code == 404
    _assert_declared(operations, "get", "/api/items/{sku}/", response)


def test_a_duplicate_sku_is_the_declared_409(operations, staff_client, item):
    response = staff_client.post("/api/items", {"sku": item.sku, "name": "Again"}, format="json")

    assert response.status_code == 409
    assert response.json()["details"]
    _assert_declared(operations, "post", "/api/items/", response)


def test_an_idempotency_key_reused_for_another_body_is_the_declared_422(
    operations, staff_client, item, location
):
    body = {"sku": item.sku, "location": location.code, "quantity": 3}
    staff_client.post("/api/inventory/receive", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    response = staff_client.post(
        "/api/inventory/receive",
        {**body, "quantity": 4},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )

    assert response.status_code == 422
    _assert_declared(operations, "post", "/api/inventory/receive/", response)


def test_too_many_requests_is_the_declared_429(operations, settings, anon_client):
    settings.RATE_LIMIT_MAX = 1
    anon_client.get("/api/items")

    response = anon_client.get("/api/items")

    assert response.status_code == 429
    _assert_declared(operations, "get", "/api/items/", response)


def test_an_atomic_import_with_bad_rows_is_the_declared_400_with_its_report(
    operations, staff_client
):
    response = staff_client.post(
        "/api/items/import?atomic=true", ITEMS_CSV, content_type="text/csv"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["line"] == 3
    assert set(body["errors"][0]) == {"line", "error", "field", "row"}
    _assert_declared(operations, "post", "/api/items/import/", response)


def test_an_unreadable_import_is_the_declared_400(operations, staff_client):
    response = staff_client.post("/api/items/import", "name\nOne\n", content_type="text/csv")

    assert response.json()["code"] == "missing_column"
    _assert_declared(operations, "post", "/api/items/import/", response)


def test_a_chunked_import_is_the_declared_411(operations, staff_client):
    response = staff_client.generic(
        "POST", "/api/items/import", b"", content_type="text/csv", HTTP_TRANSFER_ENCODING="chunked"
    )

    assert response.status_code == 411
    _assert_declared(operations, "post", "/api/items/import/", response)


def test_an_import_over_the_size_cap_is_the_declared_413(operations, settings, staff_client):
    settings.IMPORT_MAX_BYTES = 10

    response = staff_client.post("/api/items/import", ITEMS_CSV, content_type="text/csv")

    assert response.status_code == 413
    _assert_declared(operations, "post", "/api/items/import/", response)


def test_an_import_that_is_not_csv_is_the_declared_415(operations, staff_client):
    response = staff_client.post("/api/items/import", {}, format="json")

    assert response.status_code == 415
    _assert_declared(operations, "post", "/api/items/import/", response)


def test_a_method_a_route_does_not_serve_is_a_405_in_the_failure_envelope(document, viewer_client):
    response = viewer_client.delete("/api/inventory/summary")

    assert response.status_code == 405
    _assert_failure_envelope(document, response)


def test_an_unknown_route_is_a_404_in_the_failure_envelope(document, viewer_client):
    response = viewer_client.get("/api/nowhere")

    assert response.status_code == 404
    _assert_failure_envelope(document, response)
