"""The reorder page of the admin: what to order, from the latest forecast, sortable, as CSV.

The suggestions of `GET /api/reorder-suggestions` (`selectors.reorder_suggestions`), one row per
item to order: on hand, the use expected over the lead time, the safety stock, the suggested
quantity and the last day to order. A column heading sorts by it (again: the other way); "Due"
keeps the rows whose order-by date is today or past. "Download CSV" and "Download .xlsx" give the
rows shown, in the order shown.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from forecasting.selectors import reorder_suggestions
from inventory_project.csvio.export import csv_download, csv_lines
from inventory_project.csvio.xlsx import xlsx_download


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = False


COLUMNS = (
    Column("sku", "SKU"),
    Column("name", "Item"),
    Column("on_hand", "On hand", numeric=True),
    Column("lead_time_demand", "Use over the lead time", numeric=True),
    Column("safety_stock", "Safety stock", numeric=True),
    Column("suggested_quantity", "Order", numeric=True),
    Column("uom", "Unit"),
    Column("order_by", "Order by"),
    Column("days_of_cover", "Days of stock left", numeric=True),
)
_BY_KEY = {column.key: column for column in COLUMNS}
DEFAULT_ORDER = "order_by"


def _sort(rows: list[dict], order: str) -> list[dict]:
    key = order.lstrip("-")
    # None (no order-by date, no demand) sorts last whichever way; ties keep the SKU order.
    present = [row for row in rows if row[key] is not None]
    absent = [row for row in rows if row[key] is None]
    present.sort(key=lambda row: row[key], reverse=order.startswith("-"))
    return present + absent


def reorder_rows(*, order: str = DEFAULT_ORDER, due_only: bool = False) -> list[dict]:
    rows = reorder_suggestions()
    if due_only:
        today = timezone.localdate()
        rows = [row for row in rows if row["order_by"] is not None and row["order_by"] <= today]
    return _sort(rows, order)


class ReorderAdminMixin:
    """ModelAdmin mixin (on the item forecasts): the reorder page at `reorder/`."""

    def reorder_urls(self) -> list:
        return [
            path(
                "reorder/",
                self.admin_site.admin_view(self.reorder_view),
                name="forecasting_reorder",
            )
        ]

    def reorder_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        order = request.GET.get("o", DEFAULT_ORDER)
        if order.lstrip("-") not in _BY_KEY:
            order = DEFAULT_ORDER
        due_only = request.GET.get("due") == "1"
        today = timezone.localdate()
        rows = reorder_rows(order=order, due_only=due_only)
        if request.GET.get("format") == "csv":
            return _csv_response(rows)
        if request.GET.get("format") == "xlsx":
            keys = [column.key for column in COLUMNS]
            values = ([row[key] for key in keys] for row in rows)
            return xlsx_download(keys, values, name="reorder", sheet="What to order")
        headings = [
            (
                column,
                # Clicking the sorted column sorts it the other way.
                f"-{column.key}" if order == column.key else column.key,
                order.lstrip("-") == column.key,
            )
            for column in COLUMNS
        ]
        return TemplateResponse(
            request,
            "admin/forecasting/reorder.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "What to order",
                "rows": [
                    [_cell(column, row[column.key], today) for column in COLUMNS] for row in rows
                ],
                "headings": headings,
                "order": order,
                "due_only": due_only,
            },
        )


@dataclass(frozen=True)
class Cell:
    text: str
    numeric: bool = False
    urgent: bool = False


def _cell(column: Column, value, today: date) -> Cell:
    if value is None:
        return Cell("–")
    if isinstance(value, date):
        return Cell(f"{value:%a %d %b}", urgent=value <= today)
    if isinstance(value, Decimal):
        return Cell(f"{value.normalize():f}", numeric=True)
    return Cell(str(value), numeric=column.numeric)


def _csv_response(rows: list[dict]):
    lines = csv_lines([c.key for c in COLUMNS], ([row[c.key] for c in COLUMNS] for row in rows))
    return csv_download(lines, name="reorder")
