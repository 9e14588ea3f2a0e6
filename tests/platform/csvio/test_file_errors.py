"""Files and requests an import refuses as a whole: one clear 400 (413, 415), nothing written."""

import re

import pytest

from inventory_project.csvio import bulk
from inventory_project.csvio.xlsx import XLSX_CONTENT_TYPE
from tests.platform.csvio.support import (
    ITEMS_IMPORT,
    STOCK_IMPORT,
    USAGE_IMPORT,
    db_state,
    post_csv,
    upload_csv,
)

pytestmark = pytest.mark.django_db

ENCODING_ADVICE = 'Save it as "CSV UTF-8" and import it again.'


@pytest.fixture
def world(stocked, other_location):
    """An item with 10 in the walk-in (one ledger row), and a second location."""
    return stocked


def _assert_file_refused(response, *, status, message, code, field="file"):
    assert response.status_code == status, response.content
    assert response.json() == {
        "success": False,
        "error": message,
        "code": code,
        "details": {field: [message]},
    }


@pytest.mark.parametrize(
    ("url", "body", "message", "field"),
    [
        pytest.param(
            ITEMS_IMPORT,
            "name,category\nApples,Fruit\n",
            "Missing required column: sku. The header must name: sku (optional: name, "
            "category, uom, reorder_min, reorder_max, par_level, active).",
            "sku",
            id="items-sku",
        ),
        pytest.param(
            STOCK_IMPORT,
            "sku,quantity\nSKU-1001,5\n",
            "Missing required column: location. The header must name: sku, location, "
            "quantity (optional: lot, expires_at, last_counted_at).",
            "location",
            id="stock-location",
        ),
        pytest.param(
            STOCK_IMPORT,
            "sku,lot\nSKU-1001,L1\n",
            "Missing required columns: location, quantity. The header must name: sku, "
            "location, quantity (optional: lot, expires_at, last_counted_at).",
            "location",
            id="stock-location-and-quantity",
        ),
        pytest.param(
            USAGE_IMPORT,
            "sku,quantity,location\nSKU-1001,5,WALK-IN\n",
            "Missing required column: date. The header must name: date, sku, quantity "
            "(optional: location).",
            "date",
            id="usage-date",
        ),
    ],
)
def test_a_missing_required_column_is_one_400_naming_it(
    api_client, world, url, body, message, field
):
    before = db_state()

    response = post_csv(api_client, url, body)

    _assert_file_refused(response, status=400, message=message, code="missing_column", field=field)
    assert db_state() == before


@pytest.mark.parametrize("url", [ITEMS_IMPORT, STOCK_IMPORT, USAGE_IMPORT])
@pytest.mark.parametrize("body", [b"", b"\n\r\n   \n"], ids=["empty", "blank-lines"])
def test_an_empty_file_is_refused(api_client, world, url, body):
    before = db_state()

    response = post_csv(api_client, url, body)

    _assert_file_refused(
        response,
        status=400,
        message="The file is empty: the first line must be the header.",
        code="invalid_csv",
    )
    assert db_state() == before


@pytest.mark.parametrize(
    ("url", "header"),
    [
        (ITEMS_IMPORT, "sku,name,category\r\n"),
        (STOCK_IMPORT, "sku,location,quantity\n\n\n"),
        (USAGE_IMPORT, "date,sku,quantity"),
    ],
)
def test_a_header_without_rows_imports_nothing(api_client, world, url, header):
    before = db_state()

    response = post_csv(api_client, url, header)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["data"]["total_rows"] == 0
    assert body["data"]["inserted"] == body["data"]["updated"] == body["data"]["errors"] == 0
    assert body["errors"] == []
    assert body["message"] == (
        "Imported 0 rows: 0 inserted, 0 updated, 0 unchanged, 0 rows with errors."
    )
    assert db_state() == before


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("sku,name,SKU", "sku"),
        ("sku,Reorder Min,reorder-min", "reorder_min"),
        ("sku, Name ,NAME", "name"),
    ],
)
def test_a_column_named_twice_in_the_header_is_refused(api_client, world, header, name):
    before = db_state()

    response = post_csv(api_client, ITEMS_IMPORT, f"{header}\nSKU-1001,1,2\n")

    _assert_file_refused(
        response,
        status=400,
        message=f"Column {name!r} appears twice in the header.",
        code="invalid_csv",
        field=name,
    )
    assert db_state() == before


def test_a_latin1_file_is_refused_as_not_utf8(api_client, world):
    before = db_state()

    response = post_csv(api_client, ITEMS_IMPORT, b"sku,name\nSKU-1001,caf\xe9\nNEW-1,Tea\n")

    assert response.status_code == 400, response.content
    body = response.json()
    assert (body["success"], body["code"]) == (False, "invalid_encoding")
    assert re.fullmatch(
        rf"The file is not UTF-8 text \(line \d+ has bytes that are not\)\. "
        rf"{re.escape(ENCODING_ADVICE)}",
        body["error"],
    )
    assert body["details"] == {"file": [body["error"]]}
    assert db_state() == before


@pytest.mark.parametrize("good_rows", [0, 2000])
def test_the_encoding_error_names_the_line_of_the_bad_bytes(api_client, world, good_rows):
    good = "".join(f"ENC-{n:05d},Good item {n}\n" for n in range(good_rows)).encode()

    response = post_csv(api_client, ITEMS_IMPORT, b"sku,name\n" + good + b"ENC-X,caf\xe9\n")

    assert response.status_code == 400
    assert f"(line {good_rows + 2} has bytes that are not)" in response.json()["error"]


def test_a_latin1_header_is_refused_as_not_utf8(api_client, world):
    before = db_state()

    response = post_csv(api_client, STOCK_IMPORT, b"sku,location,quantit\xe9\n")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_encoding"
    assert db_state() == before


def test_non_utf8_bytes_after_written_batches_leave_nothing_written(
    api_client, world, settings, monkeypatch
):
    """The bad byte sits far into the file: batches of good rows were written before it."""
    settings.IMPORT_BATCH_SIZE = 50
    inserts = []
    original = bulk.insert_returning
    monkeypatch.setattr(
        bulk,
        "insert_returning",
        lambda *args, **kwargs: inserts.append(len(args[2])) or original(*args, **kwargs),
    )
    # Several read chunks of good rows, so batches are written before the bad bytes are read.
    good = "".join(f"ENC-{n:05d},Good item {n}\n" for n in range(20000)).encode()
    before = db_state()

    response = post_csv(api_client, ITEMS_IMPORT, b"sku,name\n" + good + b"ENC-X,caf\xe9\n")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid_encoding"
    assert body["error"].startswith("The file is not UTF-8 text (line ")
    assert body["error"].endswith(ENCODING_ADVICE)
    assert sum(inserts) >= 1000, "the good rows before the bad bytes were written first"
    assert db_state() == before


@pytest.mark.parametrize(
    ("url", "body", "line"),
    [
        (ITEMS_IMPORT, b"sku,name\nNUL-1,Nu\x00ts\n", 2),
        (STOCK_IMPORT, b"sku,location,quantity\nSKU-1001,WALK-IN,4\nSKU-1001\x00,WALK-IN,1\n", 3),
        (USAGE_IMPORT, b"date,sku,quantity\n\n2025-01-01,SKU-1001,\x001\n", 3),
    ],
    ids=["items-name", "stock-sku", "usage-quantity"],
)
def test_a_nul_byte_in_the_file_is_refused(api_client, world, url, body, line):
    before = db_state()

    response = post_csv(api_client, url, body)

    _assert_file_refused(
        response,
        status=400,
        message=f"Line {line} contains a NUL character: this is not a text CSV file.",
        code="invalid_csv",
    )
    assert db_state() == before


def test_a_nul_byte_after_written_batches_leaves_nothing_written(api_client, world, settings):
    settings.IMPORT_BATCH_SIZE = 2
    good = "".join(f"NUL-{n},Item {n}\n" for n in range(9)).encode()
    before = db_state()

    response = post_csv(api_client, ITEMS_IMPORT, b"sku,name\n" + good + b"NUL-X,\x00\n")

    assert response.status_code == 400, response.content
    assert response.json()["error"] == (
        "Line 11 contains a NUL character: this is not a text CSV file."
    )
    assert db_state() == before


def test_a_quote_left_open_is_refused_instead_of_swallowing_the_rest_of_the_file(api_client, world):
    before = db_state()

    response = post_csv(
        api_client, ITEMS_IMPORT, 'sku,name\nNEW-1,"Apple\nNEW-2,Banana\nNEW-3,Cherry\n'
    )

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_csv"
    assert "line 2" in response.json()["error"].lower()
    assert db_state() == before


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/octet-stream", "application/xml", ""]
)
def test_a_body_that_is_not_csv_is_415(api_client, world, content_type):
    before = db_state()

    response = api_client.generic(
        "POST", STOCK_IMPORT, b"sku,location,quantity\nSKU-1001,WALK-IN,3\n", content_type
    )

    assert response.status_code == 415, response.content
    named = content_type or "no"
    assert response.json() == {
        "success": False,
        "error": f"Send the CSV as text/csv (or an .xlsx as {XLSX_CONTENT_TYPE}) or as a "
        f"multipart upload, not {named} content type.",
        "code": "unsupported_media_type",
    }
    assert db_state() == before


@pytest.mark.parametrize(
    "content_type",
    ["text/csv; charset=utf-8", "application/csv", "text/plain", "application/vnd.ms-excel"],
)
def test_the_ways_spreadsheets_label_csv_are_accepted(api_client, world, content_type):
    response = post_csv(
        api_client,
        STOCK_IMPORT,
        "sku,location,quantity\nSKU-1001,WALK-IN,3\n",
        content_type=content_type,
    )

    assert response.status_code == 200, response.content
    assert response.json()["data"]["updated"] == 1
    assert world.item.stock_records.get(location=world.location).quantity == 3


@pytest.mark.parametrize(
    ("query", "name", "message"),
    [
        ("dry_run=maybe", "dry_run", "Must be true or false."),
        ("atomic=2", "atomic", "Must be true or false."),
        ("dryrun=true", "dryrun", "Unknown parameter."),
        ("dry_run=false&batch_size=10", "batch_size", "Unknown parameter."),
    ],
)
def test_a_bad_query_parameter_is_400_and_nothing_written(api_client, world, query, name, message):
    before = db_state()

    response = post_csv(
        api_client, STOCK_IMPORT, "sku,location,quantity\nSKU-1001,WALK-IN,3\n", query=query
    )

    assert response.status_code == 400, response.content
    assert response.json() == {
        "success": False,
        "error": f"{name}: {message}",
        "code": "invalid",
        "details": {name: [message]},
    }
    assert db_state() == before


def test_a_multipart_request_without_a_file_is_400(api_client, world):
    before = db_state()

    response = api_client.post(
        STOCK_IMPORT, {"note": "sku,location,quantity\nSKU-1001,WALK-IN,3\n"}, format="multipart"
    )

    _assert_file_refused(
        response,
        status=400,
        message="Attach the CSV as a multipart file field named 'file'.",
        code="invalid_csv",
    )
    assert db_state() == before


def test_a_multipart_upload_of_a_single_file_under_another_name_is_read(api_client, world):
    response = upload_csv(
        api_client, STOCK_IMPORT, "sku,location,quantity\nSKU-1001,WALK-IN,4\n", field="csv"
    )

    assert response.status_code == 200, response.content
    assert response.json()["data"]["updated"] == 1
    assert world.item.stock_records.get(location=world.location).quantity == 4
