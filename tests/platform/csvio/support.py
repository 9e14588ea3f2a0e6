"""Helpers for the CSV import and export tests: posting a file, reading an export, and a
snapshot of everything an import may write, to show that a refused import wrote nothing."""

from django.core.files.uploadedfile import SimpleUploadedFile

from forecasting.models import DailyUsage
from inventory.models import Location, StockMovement, StockRecord
from items.models import Item

ITEMS_IMPORT = "/api/items/import"
STOCK_IMPORT = "/api/inventory/import"
USAGE_IMPORT = "/api/usage/import"
ITEMS_EXPORT = "/api/items/export"
STOCK_EXPORT = "/api/inventory/export"

ITEMS_HEADER = "sku,name,category,uom,reorder_min,reorder_max,par_level,active"
STOCK_HEADER = "sku,location,quantity,lot,expires_at,last_counted_at"


def _url(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


def post_csv(client, url, body, *, query="", content_type="text/csv"):
    """POST `body` (str, encoded as UTF-8, or bytes as they are) as the request body."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return client.post(_url(url, query), data=data, content_type=content_type)


def upload_csv(client, url, body, *, field="file", filename="import.csv", query=""):
    """POST `body` as a multipart file upload."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    upload = SimpleUploadedFile(filename, data, content_type="text/csv")
    return client.post(_url(url, query), {field: upload}, format="multipart")


def export_text(response) -> str:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content).decode("utf-8")


def db_state() -> dict:
    """Every row an import writes, with its timestamps: equal before and after means untouched."""
    return {
        "items": list(Item.objects.order_by("pk").values()),
        "locations": list(Location.objects.order_by("pk").values()),
        "stock": list(StockRecord.objects.order_by("pk").values()),
        "ledger": list(StockMovement.objects.order_by("pk").values()),
        "usage": list(DailyUsage.objects.order_by("pk").values()),
    }


def row_errors(body: dict) -> list[tuple]:
    """The reported bad rows as (line, field, error)."""
    return [(error["line"], error["field"], error["error"]) for error in body["errors"]]


def counts(body: dict) -> dict:
    """The counting part of an import answer."""
    data = body["data"]
    keys = ("total_rows", "inserted", "updated", "unchanged", "errors", "errors_omitted")
    return {key: data[key] for key in keys}
