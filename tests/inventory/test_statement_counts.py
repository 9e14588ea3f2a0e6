"""The SQL statements of one stock operation through the API, counted on PostgreSQL.

A receive or an issue of stock that is there is: one read of the item with its location, then
the transaction (`BEGIN`, the record's `UPDATE ... RETURNING`, the ledger row's `INSERT`, with an
`Idempotency-Key` the key's `INSERT`, `COMMIT`). The answer is made from the rows written, with
no read. The caller's state comes from the cache, so no statement of the user is counted.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import services
from inventory.models import Location, StockMovement, StockRecord
from inventory_project.service_errors import ServiceError
from tests.helpers import assert_ledger_balances, on_redis, postgres_only

pytestmark = [pytest.mark.django_db, postgres_only]

MOST_STATEMENTS = 6
OPERATIONS = ["/api/inventory/receive", "/api/inventory/issue"]


def statements_of(client, route: str, body: dict, **headers) -> tuple[object, list[str]]:
    client.get("/api/items")  # the caller's state, now in the cache
    with CaptureQueriesContext(connection) as captured:
        response = client.post(route, body, format="json", **headers)
    assert response.status_code == 201, response.content
    return response, [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("route", OPERATIONS)
def test_a_stock_operation_takes_at_most_six_statements(staff_client, stocked, route):
    body = {"sku": stocked.item.sku, "location": stocked.location.code, "quantity": "1.5"}

    _response, statements = statements_of(staff_client, route, body)

    assert len(statements) <= MOST_STATEMENTS, "\n".join(statements)
    assert_ledger_balances()


@pytest.mark.parametrize("route", OPERATIONS)
def test_with_an_idempotency_key_it_takes_at_most_six_statements(staff_client, stocked, route):
    body = {"sku": stocked.item.sku, "location": stocked.location.code, "quantity": "1.5"}

    _response, statements = statements_of(
        staff_client, route, body, HTTP_IDEMPOTENCY_KEY=f"count-{route}"
    )

    assert len(statements) <= MOST_STATEMENTS, "\n".join(statements)
    assert StockMovement.objects.count() == 2


@on_redis
def test_a_receive_takes_three_round_trips_to_redis(
    staff_client, stocked, redis_round_trips, django_capture_on_commit_callbacks
):
    body = {"sku": stocked.item.sku, "location": stocked.location.code, "quantity": "1"}
    staff_client.get("/api/items")  # the caller's state, now in the cache
    redis_round_trips.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(OPERATIONS[0], body, format="json")

    assert response.status_code == 201
    # The counter with the caller's state; the stock generation bumped in the transaction, and
    # again once it committed.
    assert len(redis_round_trips) == 3


def test_the_answer_made_without_a_read_is_the_rows_as_the_lists_show_them(staff_client, stocked):
    body = {"sku": stocked.item.sku, "location": stocked.location.code, "quantity": "2.25"}

    response, _statements = statements_of(staff_client, OPERATIONS[0], body)

    answer = response.json()["data"]
    movement = staff_client.get(f"/api/inventory/movements?sku={stocked.item.sku}").json()
    stock = staff_client.get(f"/api/inventory?sku={stocked.item.sku}").json()
    assert answer["movement"] == movement["data"][0]
    assert answer["stock"] == stock["data"][0]
    assert answer["stock"]["quantity"] == float(Decimal("12.25"))


def test_stock_cannot_go_into_a_location_deactivated_since_it_was_looked_up(stocked):
    location = stocked.location  # read while still active
    Location.objects.filter(pk=location.pk).update(active=False)

    with pytest.raises(ServiceError) as refused:
        services.stock_receive(item=stocked.item, location=location, quantity=Decimal(1))

    assert refused.value.code == "location_inactive"
    assert StockRecord.objects.get(pk=stocked.pk).quantity == Decimal(10)
