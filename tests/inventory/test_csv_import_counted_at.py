"""A stock import's `last_counted_at` before any plausible history is a row error."""

import pytest

from tests.platform.csvio.support import STOCK_HEADER, STOCK_IMPORT, post_csv

pytestmark = pytest.mark.django_db


def test_last_counted_at_before_year_one_in_utc_is_a_row_error(api_client, stocked):
    response = post_csv(
        api_client,
        STOCK_IMPORT,
        f"{STOCK_HEADER}\nSKU-1001,WALK-IN,7,,,0001-01-01T00:00:00+01:00\n",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert [error["field"] for error in body["errors"]] == ["last_counted_at"]
    # Nothing unreadable was stored: the stock list still answers.
    assert api_client.get("/api/inventory").status_code == 200
    assert api_client.get("/api/inventory?sku=SKU-1001").status_code == 200
