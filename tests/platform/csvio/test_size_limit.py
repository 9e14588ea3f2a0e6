"""IMPORT_MAX_BYTES: a larger file is refused with 413 and nothing is written."""

import http.client
import io
import json
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

from accounts.tokens import tokens_for_user
from inventory.stock_csv import import_stock_counts_csv
from inventory_project.csvio.reader import CsvTooLarge
from tests.conftest import user_with_role
from tests.platform.csvio.support import ITEMS_IMPORT, STOCK_IMPORT, db_state, post_csv, upload_csv

GOOD_ROW = "SKU-1001,WALK-IN,5\n"


def _too_large_body(limit: int) -> dict:
    message = f"The file is larger than the import limit of {limit:,} bytes (IMPORT_MAX_BYTES)."
    return {
        "success": False,
        "error": message,
        "code": "request_too_large",
        "details": {"file": [message]},
    }


@pytest.mark.django_db
def test_a_body_over_the_limit_is_413_and_nothing_written(api_client, stocked, settings):
    settings.IMPORT_MAX_BYTES = 100
    text = "sku,location,quantity\n" + GOOD_ROW * 5
    assert len(text) > 100
    before = db_state()

    response = post_csv(api_client, STOCK_IMPORT, text)

    assert response.status_code == 413, response.content
    assert response.json() == _too_large_body(100)
    assert db_state() == before


@pytest.mark.django_db
def test_a_body_at_the_limit_is_imported(api_client, stocked, settings):
    text = "sku,location,quantity\n" + GOOD_ROW
    settings.IMPORT_MAX_BYTES = len(text)

    response = post_csv(api_client, STOCK_IMPORT, text)

    assert response.status_code == 200, response.content
    assert response.json()["data"]["updated"] == 1


@pytest.mark.django_db
def test_an_upload_over_the_limit_is_413_and_nothing_written(api_client, item, settings):
    settings.IMPORT_MAX_BYTES = 2_000
    text = "sku,name\n" + "".join(f"BIG-{n:04d},Item {n}\n" for n in range(200))
    before = db_state()

    response = upload_csv(api_client, ITEMS_IMPORT, text)

    assert response.status_code == 413, response.content
    assert response.json() == _too_large_body(2_000)
    assert db_state() == before


@pytest.mark.django_db
def test_a_stream_longer_than_the_limit_is_refused_even_after_written_batches(
    stocked, api_user, settings
):
    """A source without a declared size (a command's file, a pipe) is counted as it is read."""
    settings.IMPORT_BATCH_SIZE = 10
    rows = "".join(f"SKU-1001,WALK-IN,{n},L{n:05d}\n" for n in range(1, 1001))
    source = io.BytesIO(f"sku,location,quantity,lot\n{rows}".encode())
    before = db_state()

    with pytest.raises(CsvTooLarge) as refused:
        import_stock_counts_csv(
            csv_file=source, performed_by=api_user, max_bytes=len(source.getvalue()) - 1
        )

    assert refused.value.status_code == 413
    assert db_state() == before


@pytest.mark.django_db(transaction=True)
def test_a_declared_1gb_body_is_refused_with_413_before_it_is_read(live_server, stocked):
    """A real server and a real socket: only the first 64 KB of the 1 GB body are ever sent."""
    user = user_with_role("staff", email="bulk@example.com")
    token = tokens_for_user(user).access_token
    before = db_state()
    url = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.putrequest("POST", STOCK_IMPORT)
        connection.putheader("Content-Type", "text/csv")
        connection.putheader("Content-Length", str(1024**3))
        connection.putheader("Authorization", f"Bearer {token}")
        connection.endheaders()
        first = ("sku,location,quantity\n" + GOOD_ROW * (64 * 1024 // len(GOOD_ROW))).encode()
        connection.send(first[: 64 * 1024])

        response = connection.getresponse()
        status, body = response.status, response.read()
    finally:
        connection.close()

    assert status == 413, body
    assert json.loads(body) == _too_large_body(django_settings.IMPORT_MAX_BYTES)
    assert django_settings.IMPORT_MAX_BYTES < 1024**3
    assert db_state() == before
