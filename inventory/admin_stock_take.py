"""Stock take by location in the admin: one sheet of a location's records, counted and sent once.

A person walks a location (the walk-in, a shelf) with a phone: the sheet lists every stock record
there with a field for the counted quantity; a blank field is a line not counted. Sending the
sheet shows a preview, old -> new for each line whose count differs from what is on hand, and
nothing is written until it is confirmed. Confirming applies each changed line as one
`stock_count` (source "admin", the signed-in user, reason "Stock take") in one transaction: a
refused line (a count gone out of range) stops them all. The confirm form carries a one-time
key, so a sheet confirmed twice counts once. The sheet can also be downloaded as CSV in the
stock-count import format, filled in, and imported through "Import CSV" of the stock records.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from inventory import services
from inventory.admin_stock_operations import claim_form_key, may_move_stock
from inventory.models import Location, MovementSource, StockRecord
from inventory.selectors import stock_take_records
from inventory.stock_csv import export_stock_lines
from inventory_project.csvio.export import csv_download
from inventory_project.service_errors import ServiceError
from items.models import QUANTITY_DIGITS, QUANTITY_PLACES

STOCK_TAKE_REASON = "Stock take"
_FIELD_PREFIX = "count-"
_LARGEST = Decimal(10) ** (QUANTITY_DIGITS - QUANTITY_PLACES)


@dataclass
class SheetLine:
    """A stock record on a sheet, and the quantity typed for it (None: left blank)."""

    record: StockRecord
    typed: str = ""  # what the person typed, shown again as typed
    counted: Decimal | None = None
    error: str = ""

    @property
    def field_name(self) -> str:
        return f"{_FIELD_PREFIX}{self.record.pk}"

    @property
    def on_hand(self) -> str:
        return services.format_quantity(self.record.quantity)

    @property
    def changed(self) -> bool:
        return self.counted is not None and self.counted != self.record.quantity

    @property
    def counted_text(self) -> str:
        return "" if self.counted is None else services.format_quantity(self.counted)

    @property
    def delta_text(self) -> str:
        delta = self.counted - self.record.quantity
        return f"{'+' if delta > 0 else ''}{services.format_quantity(delta)}"


_AMBIGUOUS = (
    "Is the comma a thousands separator or a decimal comma? Type the number without it, "
    "or with a point."
)


def parse_quantity(typed: str, *, signed: bool = False) -> tuple[Decimal | None, str]:
    """(quantity or None for blank, error) of a quantity typed on a sheet; negative if `signed`.

    A decimal comma (`1,5`, as a phone set to a European language types it) is read as a point;
    a comma that may as well separate thousands (`1,500`) is refused rather than guessed.
    """
    text = typed.strip()
    if not text:
        return None, ""
    if "," in text:
        whole, _comma, fraction = text.partition(",")
        if "." in text or "," in fraction or len(fraction) == 3:
            return None, _AMBIGUOUS
        text = f"{whole}.{fraction}"
    try:
        quantity = Decimal(text)
    except InvalidOperation:
        return None, "Not a number."
    if not quantity.is_finite():
        return None, "Not a number."
    if quantity < 0 and not signed:
        return None, "Cannot be negative."
    if abs(quantity) >= _LARGEST or quantity.as_tuple().exponent < -QUANTITY_PLACES:
        return None, f"At most {QUANTITY_PLACES} decimal places and under {_LARGEST:,}."
    return quantity, ""


def sheet_lines(records, data=None, *, signed: bool = False) -> list[SheetLine]:
    """A sheet of `records`, with what `data` (a POST) typed for each, parsed."""
    lines = [SheetLine(record) for record in records]
    if data is not None:
        for line in lines:
            line.typed = data.get(line.field_name, "")[:50]
            line.counted, line.error = parse_quantity(line.typed, signed=signed)
    return lines


def _sheet(location: Location, data=None) -> list[SheetLine]:
    return sheet_lines(stock_take_records(location=location), data)


def _apply(lines: list[SheetLine], location: Location, user) -> None:
    for line in lines:
        services.stock_count(
            item=line.record.item,
            location=location,
            lot=line.record.lot,
            counted_quantity=line.counted,
            reason=STOCK_TAKE_REASON,
            performed_by=user,
            source=MovementSource.ADMIN,
        )


class StockTakeAdminMixin:
    """LocationAdmin mixin: the stock take sheet of a location, its preview and its CSV."""

    stock_take_template = "admin/inventory/stock_take.html"

    def stock_take_urls(self) -> list:
        return [
            path(
                "<path:object_id>/stock-take/",
                self.admin_site.admin_view(self.stock_take_view),
                name="inventory_location_stock_take",
            ),
            path(
                "<path:object_id>/stock-take/sheet.csv",
                self.admin_site.admin_view(self.stock_take_csv_view),
                name="inventory_location_stock_take_csv",
            ),
        ]

    def stock_take_view(self, request, object_id):
        if not may_move_stock(request):
            raise PermissionDenied
        location = get_object_or_404(Location, pk=object_id)
        if request.method != "POST":
            return self._render_sheet(request, location, _sheet(location))
        lines = _sheet(location, request.POST)
        changed = [line for line in lines if line.changed]
        if any(line.error for line in lines):
            return self._render_sheet(request, location, lines, error="Correct the marked lines.")
        if request.POST.get("step") != "confirm":
            return self._render_sheet(
                request, location, lines, preview=changed, form_key=uuid.uuid4()
            )
        try:
            form_key = uuid.UUID(request.POST.get("form_key", ""))
        except ValueError:
            return self._render_sheet(request, location, lines, error="Send the sheet again.")
        try:
            with transaction.atomic():
                if not claim_form_key(request.user, form_key, "stock-take"):
                    messages.info(request, "This stock take was already sent; nothing was redone.")
                    return HttpResponseRedirect(self._location_url(location))
                _apply(changed, location, request.user)
        except ServiceError as error:
            return self._render_sheet(
                request, location, lines, error=f"{error.message} Nothing was written."
            )
        counted = sum(1 for line in lines if line.counted is not None)
        messages.success(
            request,
            f"Stock take of {location.code}: {counted} line(s) counted, {len(changed)} changed.",
        )
        return HttpResponseRedirect(self._location_url(location))

    def stock_take_csv_view(self, request, object_id):
        if not may_move_stock(request):
            raise PermissionDenied
        location = get_object_or_404(Location, pk=object_id)
        records = StockRecord.objects.filter(location=location).order_by("item__sku", "lot")
        return csv_download(export_stock_lines(records), name=f"stock-take-{location.pk}")

    @staticmethod
    def _location_url(location: Location) -> str:
        return reverse("admin:inventory_location_change", args=[location.pk])

    def _render_sheet(
        self, request, location, lines, *, preview=None, form_key=None, error: str = ""
    ):
        return TemplateResponse(
            request,
            self.stock_take_template,
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"Stock take: {location.code}",
                "location": location,
                "lines": lines,
                "preview": preview,
                "form_key": form_key,
                "error": error,
                "cancel_url": self._location_url(location),
                "csv_url": reverse("admin:inventory_location_stock_take_csv", args=[location.pk]),
                "import_url": reverse("admin:inventory_stockrecord_import"),
            },
        )
