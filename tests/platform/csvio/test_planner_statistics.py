"""A large import refreshes the query planner's statistics of the tables it wrote; a small one,
a dry run and a refused atomic import do not."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Location, StockMovement, StockRecord
from tests.factories import ItemFactory
from tests.platform.csvio.support import ITEMS_IMPORT, STOCK_IMPORT, post_csv

pytestmark = pytest.mark.django_db

STOCK_TABLES = {model._meta.db_table for model in (StockRecord, StockMovement, Location)}


@pytest.fixture
def catalogue(location, settings):
    settings.IMPORT_ANALYZE_MIN_ROWS = 20
    for n in range(30):
        ItemFactory(sku=f"SKU-{n:04d}", name=f"Item {n}")
    return location


def _stock_file(rows: int, *, bad_row: bool = False) -> str:
    lines = [f"SKU-{n:04d},WALK-IN,{n + 1}" for n in range(rows)]
    if bad_row:
        lines.append("SKU-0000,WALK-IN,not-a-number")
    return "sku,location,quantity\n" + "\n".join(lines) + "\n"


def _analyzed_tables(client, url, text, query="") -> set[str]:
    with CaptureQueriesContext(connection) as captured:
        response = post_csv(client, url, text, query=query)
    assert response.status_code in (200, 400), response.content
    analyzed = set()
    for statement in (entry["sql"] for entry in captured):
        if statement.upper().startswith("ANALYZE "):
            analyzed.add(statement.split(" ", 1)[1].strip('"'))
    return analyzed


def test_a_large_stock_import_analyzes_the_stock_tables(api_client, catalogue):
    assert _analyzed_tables(api_client, STOCK_IMPORT, _stock_file(25)) == STOCK_TABLES


def test_a_large_item_import_analyzes_the_item_table(api_client, catalogue):
    text = "sku,name\n" + "\n".join(f"NEW-{n},New {n}" for n in range(25)) + "\n"

    assert _analyzed_tables(api_client, ITEMS_IMPORT, text) == {"items_item"}


def test_a_small_import_leaves_the_statistics_alone(api_client, catalogue):
    assert _analyzed_tables(api_client, STOCK_IMPORT, _stock_file(5)) == set()


def test_a_dry_run_leaves_the_statistics_alone(api_client, catalogue):
    assert (
        _analyzed_tables(api_client, STOCK_IMPORT, _stock_file(25), query="dry_run=true") == set()
    )


def test_a_refused_atomic_import_leaves_the_statistics_alone(api_client, catalogue):
    text = _stock_file(25, bad_row=True)

    assert _analyzed_tables(api_client, STOCK_IMPORT, text, query="atomic=true") == set()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's own statistics table")
def test_after_a_large_import_sqlite_holds_statistics_for_the_stock_table(api_client, catalogue):
    post_csv(api_client, STOCK_IMPORT, _stock_file(25))

    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        tables = {row[0] for row in cursor.fetchall()}
    assert StockRecord._meta.db_table in tables
