"""An import's queries are set-based: a batch costs the same few statements for 10 rows or 200."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ItemFactory
from tests.platform.csvio.support import ITEMS_IMPORT, STOCK_IMPORT, USAGE_IMPORT, post_csv

pytestmark = pytest.mark.django_db

# Per batch: look up items, locations and records, insert, update, append the ledger; plus
# the savepoint and its release, and on PostgreSQL the staging tables the rows are copied to.
QUERY_BOUND = 16


def _stock_file(rows: int, tag: int) -> str:
    """Half counts of the records the file of tag 0 made, half new records."""
    lines = [
        f"SKU-{n:04d},WALK-IN,{n % 7 + tag + 1},{f'L{tag}' if n % 2 else ''}" for n in range(rows)
    ]
    return "sku,location,quantity,lot\n" + "\n".join(lines) + "\n"


def _items_file(rows: int, tag: int) -> str:
    """Half updates of existing items, half new items."""
    lines = [
        f"SKU-{n:04d},Renamed {tag}" if n % 2 else f"NEW-{tag}-{n},New {n}" for n in range(rows)
    ]
    return "sku,name\n" + "\n".join(lines) + "\n"


def _usage_file(rows: int, tag: int) -> str:
    start = date(2024, 1, 1) + timedelta(days=tag * 200)
    lines = [f"{(start + timedelta(days=n)).isoformat()},SKU-{n % 5:04d},{n}," for n in range(rows)]
    return "date,sku,quantity,location\n" + "\n".join(lines) + "\n"


@pytest.fixture
def catalogue(location):
    for n in range(200):
        ItemFactory(sku=f"SKU-{n:04d}", name=f"Item {n}")
    return location


def _queries(client, url, text) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = post_csv(client, url, text)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["data"]["errors"] == 0, body["errors"]
    assert body["data"]["inserted"] + body["data"]["updated"] == body["data"]["total_rows"]
    return len(captured)


@pytest.mark.parametrize(
    ("url", "make_file"),
    [(STOCK_IMPORT, _stock_file), (ITEMS_IMPORT, _items_file), (USAGE_IMPORT, _usage_file)],
    ids=["stock", "items", "usage"],
)
def test_one_batch_costs_the_same_queries_for_10_rows_as_for_200(
    api_client, catalogue, url, make_file, django_assert_max_num_queries
):
    _queries(api_client, url, make_file(200, 0))  # also caches the caller's state
    small = _queries(api_client, url, make_file(10, 1))

    with django_assert_max_num_queries(QUERY_BOUND):
        large = _queries(api_client, url, make_file(200, 2))

    assert large == small


def _new_stock_file(rows: int, tag: int) -> str:
    """`rows` stock counts of records that do not exist yet (a lot of their own per file)."""
    lines = [f"SKU-{n % 200:04d},WALK-IN,{n % 7 + 1},T{tag}-{n // 200}" for n in range(rows)]
    return "sku,location,quantity,lot\n" + "\n".join(lines) + "\n"


def test_an_import_costs_the_same_queries_per_batch_however_many_batches_it_has(
    api_client, catalogue, settings
):
    settings.IMPORT_BATCH_SIZE = 20
    _queries(api_client, STOCK_IMPORT, _new_stock_file(20, 0))  # also caches the caller's state
    one_batch = _queries(api_client, STOCK_IMPORT, _new_stock_file(20, 1))
    per_batch = _queries(api_client, STOCK_IMPORT, _new_stock_file(40, 2)) - one_batch

    ten_batches = _queries(api_client, STOCK_IMPORT, _new_stock_file(200, 3))

    assert per_batch <= QUERY_BOUND
    assert ten_batches == one_batch + 9 * per_batch
