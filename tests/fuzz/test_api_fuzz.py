"""Fuzz every API route from the OpenAPI document the app serves, as each role.

Schemathesis reads `/api/schema/` from the app itself (in-process WSGI, no server), generates
requests for every operation, valid and invalid ones, and sends them with a real access token
for an admin, a staff member or a viewer, or as an anonymous caller (no valid credentials: no
header, or the junk Bearer tokens and session cookies the fuzzer makes up), against a database
holding items, locations and stock. Every answer must:

- never be a 5xx, whatever the input;
- use a status code the schema documents for that operation, with a body the schema describes:
  error bodies too, against the closed failure envelope (`success: false`, `error`, `code`,
  `details` only when fields are named, no other key); a failure status documented without a
  JSON body schema is itself a failure, and one no operation documents (a 405) is checked
  against the failure envelope (schemathesis alone would not look at either body);
- be the v20 envelope when it is JSON: `success: true` with `data`, or `success: false` with a
  non-empty `error` sentence.

`FUZZ_MAX_EXAMPLES` (default 10) is the number of generated cases per operation and role in the
fuzzing phase, on top of the examples and boundary cases schemathesis derives from the schema.
The normal suite keeps it small and deterministic so CI stays fast and never flaky; `make fuzz`
runs a longer campaign with fresh random inputs (`FUZZ_RANDOM=1`).
"""

import json
import os
from collections import Counter
from decimal import Decimal

import jsonschema
import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from schemathesis import Case, CheckContext, Response
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tokens import tokens_for_user
from inventory import services as stock_services
from inventory_project.wsgi import application
from tests.conftest import user_with_role
from tests.factories import ItemFactory, LocationFactory

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "10"))
ROLES = ("admin", "staff", "viewer", "anonymous")

SKUS = ("SKU-1001", "SKU-1002", "SKU-1003")
LOCATIONS = ("WALK-IN", "FREEZER")

# Cases sent per role, printed at the end of the run so a campaign says how much it covered.
CASES_PER_ROLE: Counter[str] = Counter()


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "generation": {
                "max-examples": MAX_EXAMPLES,
                # No example database and a fixed seed per operation: the suite's run replays
                # the same cases everywhere instead of being flaky; `make fuzz` explores.
                "database": "none",
                "deterministic": os.environ.get("FUZZ_RANDOM") != "1",
            },
            # Random strings almost never name a stored item or location, so half of the
            # generated SKUs and location codes are real ones: the fuzzer then reaches the code
            # behind the 404 too.
            "dictionaries": {
                "skus": {"values": list(SKUS)},
                "locations": {"values": list(LOCATIONS)},
            },
            "parameters": {
                "path.sku": {"dictionary": "skus", "probability": 0.5},
                "query.sku": {"dictionary": "skus", "probability": 0.5},
                "body.sku": {"dictionary": "skus", "probability": 0.5},
                "path.code": {"dictionary": "locations", "probability": 0.5},
                "query.location": {"dictionary": "locations", "probability": 0.5},
                "body.location": {"dictionary": "locations", "probability": 0.5},
                "body.from_location": {"dictionary": "locations", "probability": 0.5},
                "body.to_location": {"dictionary": "locations", "probability": 0.5},
            },
            "operations": [
                # The maintenance job warms caches, checks the database and records a job run
                # under a database lock: slow, and it takes no input to fuzz. Its own tests
                # cover it.
                {"include-path": "/jobs/maintenance/", "enabled": False},
            ],
        }
    )


@pytest.fixture
def fuzz_data(db):
    """Items, locations and stock, made through the services like production data."""
    items = [
        ItemFactory(sku=sku, name=f"Fuzz item {n}", category="Produce")
        for n, sku in enumerate(SKUS)
    ]
    locations = [LocationFactory(code=code, name=f"Fuzz {code}") for code in LOCATIONS]
    for item in items[:2]:
        for location in locations:
            stock_services.stock_receive(item=item, location=location, quantity=Decimal("25"))
    return items, locations


@pytest.fixture(params=ROLES)
def role(request) -> str:
    return request.param


@pytest.fixture
def role_headers(role, fuzz_data) -> dict[str, str]:
    if role == "anonymous":
        return {}
    user = user_with_role(role, email=f"fuzz-{role}@example.com")
    return {"Authorization": f"Bearer {tokens_for_user(user).access_token}"}


@pytest.fixture
def _connection_kept_across_requests(db):
    # The WSGI handler closes the database connection at the start and end of each request
    # when it is in a transaction, and the test's data lives in one: Django's own test client
    # disconnects these handlers for the same reason (on SQLite closing is a no-op, on
    # PostgreSQL it is not).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, settings, role, _connection_kept_across_requests):
    # Every role sends thousands of requests from one address and one user: the rate limits
    # (which have tests of their own) would answer 429 after the first hundred.
    settings.RATELIMIT_ENABLE = False
    return schemathesis.openapi.from_wsgi("/api/schema/", application, config=_config())


class _CaseCountReport:
    """Adds the cases sent per role to pytest's closing summary (output is captured before)."""

    def pytest_terminal_summary(self, terminalreporter):
        if CASES_PER_ROLE:
            counts = ", ".join(f"{role} {CASES_PER_ROLE[role]}" for role in ROLES)
            terminalreporter.write_line(f"fuzz cases sent per role: {counts}")


@pytest.fixture(scope="module", autouse=True)
def _report_cases(request):
    if request.config.pluginmanager.get_plugin("fuzz-case-counts") is None:
        request.config.pluginmanager.register(_CaseCountReport(), "fuzz-case-counts")


# The health routes answer v20's flat shape (`success`, `status`, `timestamp`, ... beside each
# other, no `data`): probes and monitors of the v20 service read those keys where they are.
FLAT_V20_ROUTES = frozenset({"/api/health/", "/api/health/status/"})


def envelope_conformance(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every JSON answer is the v20 envelope."""
    content_type = response.headers.get("content-type", [""])[0]
    if "json" not in content_type:
        return None
    body = json.loads(response.content)
    assert isinstance(body, dict), f"not an envelope: {body!r}"
    if body.get("success") is True:
        if case.operation.path in FLAT_V20_ROUTES and case.method.upper() == "GET":
            return True
        assert "data" in body, f"success without data: {body!r}"
    else:
        assert body.get("success") is False, f"no boolean success: {body!r}"
        error = body.get("error")
        assert isinstance(error, str), f"failure without an error sentence: {body!r}"
        assert error.strip(), f"failure with an empty error: {body!r}"
    return True


def failure_bodies_conform(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every failure body is validated against the document.

    `response_schema_conformance` validates a failure the operation documents, but passes one
    documented without a body schema, and one it does not document at all (a 405 for a method
    the route does not serve) without looking at the body: the first is refused here, the
    second checked against the failure envelope itself.
    """
    if response.status_code < 400:
        return None
    declared = case.operation.definition.raw["responses"].get(str(response.status_code))
    if declared is None:
        document = case.operation.schema.raw_schema
        registry = Registry().with_resource(
            "urn:api", Resource.from_contents(document, default_specification=DRAFT4)
        )
        envelope = {"$ref": "urn:api#/components/schemas/ErrorEnvelope"}
        jsonschema.Draft4Validator(envelope, registry=registry).validate(
            json.loads(response.content)
        )
        return True
    assert "application/json" in declared.get("content", {}), (
        f"{response.status_code} is documented without a JSON body schema"
    )
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    failure_bodies_conform,
    envelope_conformance,
]

schema = schemathesis.pytest.from_fixture("api_schema")


def test_fuzz_roles_are_signed_in(role, role_headers):
    # A token the API refused would quietly turn every role into an anonymous caller.
    client = Client(headers=role_headers)
    response = client.get("/api/auth/me")
    if role == "anonymous":
        assert response.status_code == 401
    else:
        assert response.status_code == 200
        assert response.json()["data"]["role"] == role


def _names_another_route(case: Case) -> bool:
    # OpenAPI matches a concrete path before a templated one: `/api/items/import/` is the import
    # route, not the item "import" (a reserved SKU). The fuzzer does not know that and would
    # expect PATCH there to answer like an item; such a case belongs to the other route.
    path = case.formatted_path
    return path != case.operation.path and path in case.operation.schema.raw_schema["paths"]


@schema.parametrize()
def test_api_fuzz(case, role, role_headers):
    if _names_another_route(case):
        return
    CASES_PER_ROLE[role] += 1
    response = case.call(headers=role_headers)
    case.validate_response(response, checks=CHECKS, headers=role_headers)


# --- What the fuzzer found, kept as plain tests so each stays fixed whatever it generates next.


def test_options_answers_the_envelope(anon_client):
    response = anon_client.options("/api/auth/login")

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["data"]["name"]


def test_me_answers_the_same_integer_id_from_the_cache(viewer_client):
    # The first request reads the user from the database, the second rebuilds it from the cache.
    first = viewer_client.get("/api/auth/me").json()["data"]["id"]
    second = viewer_client.get("/api/auth/me").json()["data"]["id"]

    assert isinstance(first, int)
    assert second == first


@pytest.mark.parametrize("route", ["/api/inventory/movements", "/api/audit"])
def test_a_utc_offset_postgresql_cannot_store_is_converted_to_utc(api_client, route):
    # Python reads offsets up to ±23:59; PostgreSQL refused those beyond ±15:59 with a 500.
    response = api_client.get(route, {"created_before": "1969-01-28T06:26:28-18:49"})

    assert response.status_code == 200


@pytest.mark.parametrize("instant", ["0001-01-01T00:00:00+15:00", "9999-12-31T23:59:00-23:59"])
def test_an_instant_outside_the_calendar_in_utc_is_a_400(api_client, instant):
    response = api_client.get("/api/inventory/movements", {"created_after": instant})

    assert response.status_code == 400
    assert response.json()["details"]["created_after"] == ["Date and time out of range."]


def test_an_import_refused_for_the_role_is_a_documented_403(viewer_client):
    response = viewer_client.post("/api/items/import", "sku\n", content_type="text/csv")

    assert response.status_code == 403
    assert response.json()["success"] is False
