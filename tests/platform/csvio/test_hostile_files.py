"""Files shaped to make a CSV reader slow: one endless line, a header of 100,000 columns, a cell
of a megabyte. Every source (API, admin, commands) refuses them naming the line, writes nothing,
and stops reading soon after the cap (CSV_MAX_LINE_BYTES, CSV_MAX_COLUMNS)."""

import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from forecasting.usage_csv import import_usage_csv
from inventory.stock_csv import import_stock_counts_csv
from inventory_project.csvio.reader import READ_CHUNK_BYTES, CsvFileError, _Utf8Lines
from items.item_csv import import_items_csv
from tests.conftest import user_with_role
from tests.platform.csvio.support import (
    ITEMS_IMPORT,
    STOCK_IMPORT,
    USAGE_IMPORT,
    db_state,
    post_csv,
    upload_csv,
)

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
CAP = 64 * 1024  # the default CSV_MAX_LINE_BYTES
# The reader may hold the cap and the chunk in which it was passed, and no more.
MOST_READ = CAP + READ_CHUNK_BYTES

HEADERS = {"items": "sku,name", "stock": "sku,location,quantity", "usage": "date,sku,quantity"}
URLS = {"items": ITEMS_IMPORT, "stock": STOCK_IMPORT, "usage": USAGE_IMPORT}
ADMIN_PAGES = {
    "items": "admin:items_item_import",
    "stock": "admin:inventory_stockrecord_import",
    "usage": "admin:forecasting_dailyusage_import",
}
COMMANDS = {"items": "import_items", "stock": "import_inventory", "usage": "import_usage"}


def line_too_long(line: int, cap: int = CAP) -> str:
    return (
        f"Line {line} is longer than {cap:,} bytes (CSV_MAX_LINE_BYTES): a CSV row, with any "
        "line breaks inside its quoted cells, must be shorter. Check that the file is a CSV "
        "export and that every quote is closed."
    )


def ten_megabyte_line(header: str) -> bytes:
    return f"{header}\n".encode() + b"A" * (10 * MB)


def hundred_thousand_columns(header: str) -> bytes:
    columns = ",".join(f"c{n}" for n in range(100_000))
    return f"{header},{columns}\nSKU-1001,x\n".encode()


def megabyte_quoted_cell(header: str) -> bytes:
    # Line breaks inside the quotes: one CSV row over many short physical lines.
    return f'{header}\nSKU-1001,"'.encode() + b"line\n" * (MB // 5) + b'"\n'


SHAPES = [
    pytest.param(ten_megabyte_line, 2, id="10mb-line"),
    pytest.param(hundred_thousand_columns, 1, id="100k-column-header"),
    pytest.param(megabyte_quoted_cell, 2, id="1mb-quoted-cell"),
]


@pytest.fixture
def world(stocked, other_location):
    return stocked


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["items", "stock", "usage"])
@pytest.mark.parametrize(("shape", "line"), SHAPES)
def test_the_api_refuses_a_hostile_body_naming_the_line_after_reading_little(
    api_client, world, kind, shape, line
):
    body = shape(HEADERS[kind])
    before = db_state()

    response = post_csv(api_client, URLS[kind], body)

    assert response.status_code == 400, response.content[:300]
    message = line_too_long(line)
    assert response.json() == {
        "success": False,
        "error": message,
        "code": "line_too_long",
        "details": {"file": [message]},
    }
    assert db_state() == before
    unread = len(response.wsgi_request.environ["wsgi.input"])
    assert len(body) - unread <= MOST_READ


@pytest.mark.parametrize(("shape", "line"), SHAPES)
def test_the_api_refuses_a_hostile_upload_naming_the_line(api_client, world, shape, line):
    before = db_state()

    response = upload_csv(api_client, ITEMS_IMPORT, shape(HEADERS["items"]))

    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"] == line_too_long(line)
    assert db_state() == before


def test_a_header_with_more_columns_than_the_cap_is_refused_naming_the_line(api_client, world):
    header = "sku,name," + ",".join(f"c{n}" for n in range(999))
    before = db_state()

    response = post_csv(api_client, ITEMS_IMPORT, f"{header}\nSKU-1001,Renamed\n")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "too_many_columns"
    assert response.json()["error"] == (
        "Line 1 (the header) has 1,001 columns; an import reads at most 1,000 (CSV_MAX_COLUMNS)."
    )
    assert db_state() == before


def test_the_column_cap_is_a_setting(api_client, world, settings):
    settings.CSV_MAX_LINE_BYTES = 2 * MB
    settings.CSV_MAX_COLUMNS = 200_000

    response = post_csv(api_client, ITEMS_IMPORT, hundred_thousand_columns("sku,name"))

    assert response.status_code == 200, response.content[:300]
    assert response.json()["data"]["updated"] == 1


# --- the service every source calls -----------------------------------------------------------


@pytest.mark.parametrize(
    "service", [import_items_csv, import_stock_counts_csv, import_usage_csv], ids=list(COMMANDS)
)
@pytest.mark.parametrize(("shape", "line"), SHAPES)
def test_the_import_services_stop_reading_soon_after_the_cap(world, service, shape, line):
    kind = {import_items_csv: "items", import_stock_counts_csv: "stock"}.get(service, "usage")
    stream = io.BytesIO(shape(HEADERS[kind]))
    before = db_state()

    with pytest.raises(CsvFileError) as raised:
        service(csv_file=stream)

    assert raised.value.message == line_too_long(line)
    assert stream.tell() <= MOST_READ
    assert db_state() == before


def test_a_row_of_exactly_the_cap_is_read_and_one_byte_more_is_refused(world, settings):
    settings.CSV_MAX_LINE_BYTES = 100
    header = "sku,name\n"
    row = "SKU-1001," + "n" * (100 - len("SKU-1001,") - 1) + "\n"
    assert len(row) == 100

    report = import_items_csv(csv_file=io.BytesIO((header + row).encode()), dry_run=True)
    with pytest.raises(CsvFileError) as raised:
        import_items_csv(csv_file=io.BytesIO((header + "x" + row).encode()), dry_run=True)

    assert report.total_rows == 1
    assert raised.value.message == line_too_long(2, 100)


def test_a_cell_longer_than_the_csv_modules_own_limit_is_read_under_a_larger_cap(world, settings):
    settings.CSV_MAX_LINE_BYTES = 256 * 1024
    notes = "n" * (200 * 1024)  # the csv module refuses cells over 128 KiB by default

    report = import_items_csv(
        csv_file=io.BytesIO(f'sku,name,notes\nSKU-1001,Renamed,"{notes}"\n'.encode()),
        dry_run=True,
    )

    assert (report.total_rows, report.error_count) == (1, 0)


# --- the admin -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["items", "stock", "usage"])
@pytest.mark.parametrize(("shape", "line"), SHAPES)
def test_the_admin_preview_refuses_a_hostile_file_naming_the_line(
    client, world, settings, tmp_path, kind, shape, line
):
    settings.IMPORT_UPLOAD_DIR = str(tmp_path)
    client.force_login(user_with_role("admin", email="hostile-admin@example.com", is_staff=True))
    before = db_state()

    response = client.post(
        reverse(ADMIN_PAGES[kind]),
        {"step": "upload", "file": SimpleUploadedFile("hostile.csv", shape(HEADERS[kind]))},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [line_too_long(line)]
    assert db_state() == before
    assert list(tmp_path.iterdir()) == []


# --- the commands ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["items", "stock", "usage"])
@pytest.mark.parametrize(("shape", "line"), SHAPES)
def test_the_import_commands_refuse_a_hostile_file_naming_the_line_after_reading_little(
    world, monkeypatch, kind, shape, line
):
    stdin = io.BytesIO(shape(HEADERS[kind]))
    monkeypatch.setattr("sys.stdin", SimpleNamespace(buffer=stdin))
    before = db_state()

    with pytest.raises(CommandError) as raised:
        call_command(COMMANDS[kind], "-", "--no-progress", stdout=io.StringIO())

    assert str(raised.value) == line_too_long(line)
    assert stdin.tell() <= MOST_READ
    assert db_state() == before


# --- runs of blank lines ---------------------------------------------------------------------


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_blank_lines_between_records_never_reach_the_csv_module(end):
    lines = _Utf8Lines(
        io.BytesIO(f"sku,name{end}{end * 100_000}A-1,Salt{end}".encode()),
        64 * MB,
        max_record_bytes=CAP,
    )
    handed_out = iter(lines)

    lines.start_record()
    header = next(handed_out)
    lines.start_record()
    row = next(handed_out)

    assert (header, row) == (f"sku,name{end}", f"A-1,Salt{end}")
    assert lines.record_start == 100_002
    assert list(handed_out) == []


def test_a_row_after_many_blank_lines_is_named_by_its_own_line(api_client, world):
    body = "sku,location,quantity\n" + "\r\n" * 100_000 + "NO-SUCH-SKU,WALK-IN,1\n"

    response = post_csv(api_client, STOCK_IMPORT, body, query="dry_run=true")

    assert response.status_code == 200, response.content[:300]
    assert [error["line"] for error in response.json()["errors"]] == [100_002]


def test_blank_lines_inside_a_quoted_cell_are_kept(world):
    body = b'sku,name,category\nA-1,"Salt\n\n\nfine",Dry\n'

    report = import_items_csv(csv_file=io.BytesIO(body), dry_run=True)

    assert report.error_count == 0
    assert report.inserted == 1
