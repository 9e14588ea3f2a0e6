"""Locations, stock records and the ledger in the Django admin, over `inventory.services`.

- A stock record's quantity is changed only by `stock_count` (source "admin", performed by the
  signed-in user), so an edit in the admin leaves the same ledger row as a count through the API.
  Adding a stock record is a count from zero. Stock records are never deleted: the ledger refers
  to them.
- The change form remembers the quantity it showed; if the stock moved while someone was editing,
  the save is refused with the new quantity instead of silently undoing the other change.
- The ledger is read only: no add, change or delete, for anyone.
- The item admin of `items.admin` is extended here with the stock on hand (items know no stock).
- Receive, issue, transfer and adjust are forms of their own on a stock record's page, and
  "Receive stock" on an item's page (`inventory.admin_stock_operations`).
- A location's "Stock take" is a count sheet of its records, previewed, then applied as counts
  in one transaction (`inventory.admin_stock_take`).
- "Import CSV" on the stock records applies a file of counts through `inventory.stock_csv`, after a
  preview: the same ledger rows as counts typed in here (source "admin", the signed-in user).
"""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from inventory import (
    dashboard,  # noqa: F401  (registers the stock panels of the front page)
    services,
)
from inventory.admin_stock_actions import STOCK_ACTIONS
from inventory.admin_stock_operations import (
    MOVE_STOCK_PERMISSION,
    RECEIVE_INTO_LOCATION,
    StockOperationsAdminMixin,
    get_record_or_404,
    may_move_stock,
    stock_operation,
    stock_operation_links,
)
from inventory.admin_stock_take import StockTakeAdminMixin
from inventory.locks import lock_stock_records
from inventory.models import Location, MovementSource, StockMovement, StockRecord
from inventory.selectors import (
    below_par_items,
    expired_lots,
    expiring_lots,
    on_hand_by_item,
    out_of_stock_items,
)
from inventory.stock_csv import STOCK_CSV_COLUMNS, export_stock_rows, import_stock_counts_csv
from inventory_project.admin_helpers import (
    AuditHistoryAdminMixin,
    ReadOnlyAdmin,
    ServiceErrorsAsFormErrors,
    copy_saved_fields,
)
from inventory_project.csvio.admin import CsvImportAdminMixin
from items.admin import ItemAdmin
from items.models import QUANTITY_DIGITS, QUANTITY_PLACES, Item

ADDED_IN_ADMIN = "Added in admin"
EDITED_IN_ADMIN = "Edited in admin"


# --- items, with their stock ----------------------------------------------------------------


class StockRecordInline(ReadOnlyAdmin, admin.TabularInline):
    """An item's stock records, read only; each links to its page, where quantities change."""

    model = StockRecord
    fields = ("location", "lot", "quantity", "expires_at", "last_counted_at")
    readonly_fields = fields
    operation_fields = ("operations",)
    ordering = ("location__code", "lot")
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "stock on hand (open a record to count it)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item", "location")

    def get_fields(self, request, obj=None):
        return (*self.fields, *self.operation_fields) if may_move_stock(request) else self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description="stock operations")
    def operations(self, record: StockRecord) -> str:
        return format_html_join(" · ", '<a href="{}">{}</a>', stock_operation_links(record.pk))


class StockStatusFilter(admin.SimpleListFilter):
    """Active items with nothing on hand, or with less than their par level (the dashboard's)."""

    title = "stock on hand"
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return (("out", "Out of stock"), ("below_par", "Below par (but not out)"))

    def queryset(self, request, queryset):
        if self.value() == "out":
            return queryset.filter(out_of_stock_items(), active=True)
        if self.value() == "below_par":
            return queryset.filter(below_par_items(), active=True)
        return queryset


class ItemWithStockAdmin(StockOperationsAdminMixin, ItemAdmin):
    list_display = (*ItemAdmin.list_display[:-1], "on_hand", ItemAdmin.list_display[-1])
    list_filter = (StockStatusFilter, *ItemAdmin.list_filter)
    inlines = (StockRecordInline,)

    def get_queryset(self, request):
        # The total on hand of every item of the page in the page's one query, not one per row.
        return super().get_queryset(request).annotate(on_hand=on_hand_by_item())

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def get_urls(self):
        return [*self.stock_operation_urls("stock", self.receive_view), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if may_move_stock(request):
            extra_context["stock_operation_links"] = [
                (
                    "Receive stock",
                    reverse("admin:items_item_stock_operation", args=[object_id, "receive"]),
                )
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    def receive_view(self, request, object_id, operation):
        """Receive the item into a location and lot of the user's choice."""
        if operation != RECEIVE_INTO_LOCATION.name:
            stock_operation(operation)  # 404 for a name that is no operation
            raise Http404(f"Only receiving starts from an item's page, not {operation!r}.")
        item = get_object_or_404(Item, pk=object_id)
        return self.run_stock_operation(
            request,
            operation=RECEIVE_INTO_LOCATION,
            item=item,
            record=None,
            done_url=reverse("admin:items_item_change", args=[item.pk]),
            context={"object": item},
        )

    @admin.display(description="on hand", ordering="on_hand")
    def on_hand(self, item: Item) -> str:
        return f"{services.format_quantity(item.on_hand)} {item.uom}"

    def save_formset(self, request, form, formset, change):
        # The stock inline is read only: stock is never saved bare, only through the services.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


admin.site.unregister(Item)
admin.site.register(Item, ItemWithStockAdmin)


# --- locations ------------------------------------------------------------------------------


@admin.register(Location)
class LocationAdmin(
    StockTakeAdminMixin, AuditHistoryAdminMixin, ServiceErrorsAsFormErrors, admin.ModelAdmin
):
    list_display = ("code", "name", "active", "created_at", "stock_take")
    list_filter = ("active",)
    search_fields = ("code", "name")
    search_help_text = "Search by code or name."
    ordering = ("code",)
    fields = ("code", "name", "active", "created_at")

    def get_readonly_fields(self, request, obj=None):
        # The code is the location's identity in the API and the CSV imports.
        return ("created_at",) if obj is None else ("code", "created_at")

    def has_delete_permission(self, request, obj=None) -> bool:
        # Retire a location by making it inactive: stock records and the ledger refer to it.
        return False

    def get_urls(self):
        return [*self.stock_take_urls(), *super().get_urls()]

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if may_move_stock(request) else tuple(f for f in shown if f != "stock_take")

    @admin.display(description="stock take")
    def stock_take(self, location: Location) -> str:
        url = reverse("admin:inventory_location_stock_take", args=[location.pk])
        return format_html('<a href="{}">Count</a>', url)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if may_move_stock(request):
            url = reverse("admin:inventory_location_stock_take", args=[object_id])
            extra_context["stock_operation_links"] = [("Stock take", url)]
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            location = services.location_create(
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                active=form.cleaned_data["active"],
            )
            copy_saved_fields(obj, location)
            return
        services.location_update(
            location=obj, name=form.cleaned_data["name"], active=form.cleaned_data["active"]
        )


# --- stock records --------------------------------------------------------------------------


class ExpiryFilter(admin.SimpleListFilter):
    """Stock on hand that has expired or expires soon, counted from today."""

    title = "expiry of stock on hand"
    parameter_name = "expiry"
    WINDOWS = {"3d": 3, "7d": 7, "30d": 30}

    def lookups(self, request, model_admin):
        return (
            ("expired", "Expired"),
            ("soon", f"Within {settings.EXPIRY_WARNING_DAYS} days (the warning window)"),
            ("3d", "Within 3 days"),
            ("7d", "Within 7 days"),
            ("30d", "Within 30 days"),
            ("none", "No expiry date"),
        )

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "expired":
            return queryset.filter(expired_lots(today))
        if self.value() == "soon":
            return queryset.filter(expiring_lots(today))
        if self.value() in self.WINDOWS:
            return queryset.filter(expiring_lots(today, days=self.WINDOWS[self.value()]))
        if self.value() == "none":
            return queryset.filter(expires_at__isnull=True)
        return queryset


def _reason_field() -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=services.REASON_MAX_LENGTH,
        help_text="Why the quantity changes; written to the ledger.",
        widget=forms.TextInput(attrs={"size": 60}),
    )


def _clean_counted_quantity(quantity: Decimal | None) -> Decimal | None:
    if quantity is not None and quantity < 0:
        raise ValidationError("A counted quantity cannot be negative.", code="invalid_quantity")
    return quantity


class StockRecordAddForm(forms.ModelForm):
    """A new stock record: the quantity entered is counted into it (one ledger row)."""

    reason = _reason_field()

    class Meta:
        model = StockRecord
        fields = ("item", "location", "lot", "quantity", "expires_at")
        labels = {"quantity": "Counted quantity"}

    def clean_quantity(self):
        return _clean_counted_quantity(self.cleaned_data.get("quantity"))


class StockRecordChangeForm(forms.ModelForm):
    """Count an existing record (a changed quantity) and/or change its expiry date."""

    reason = _reason_field()
    # The quantity the form showed: an edit is meant against it, not against a newer one.
    quantity_seen = forms.DecimalField(
        required=False,
        widget=forms.HiddenInput,
        max_digits=QUANTITY_DIGITS,
        decimal_places=QUANTITY_PLACES,
    )

    class Meta:
        model = StockRecord
        fields = ("quantity", "expires_at")
        labels = {"quantity": "Counted quantity"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.quantity_changed = False
        if "quantity_seen" in self.fields:
            self.fields["quantity_seen"].initial = self.instance.quantity

    def clean_quantity(self):
        return _clean_counted_quantity(self.cleaned_data.get("quantity"))

    def clean(self):
        cleaned_data = super().clean()
        quantity = cleaned_data.get("quantity")
        if quantity is None or "quantity" not in self.fields:
            return cleaned_data
        seen = cleaned_data.get("quantity_seen")
        if seen is None:  # a client that did not send it edits against what is stored
            seen = self.instance.quantity
        self.quantity_changed = quantity != seen
        stored = self.instance.quantity  # locked for this transaction (StockRecordAdmin.get_object)
        if self.quantity_changed and stored != seen:
            # Show the current quantity and expect it next time, so a second save goes through.
            self.data = self.data.copy()
            self.data[self.add_prefix("quantity_seen")] = str(stored)
            self.add_error(
                "quantity",
                ValidationError(
                    "The quantity on hand changed from %(seen)s to %(stored)s while you were "
                    "editing. Check your count against it and save again.",
                    code="stale_quantity",
                    params={
                        "seen": services.format_quantity(seen),
                        "stored": services.format_quantity(stored),
                    },
                ),
            )
        return cleaned_data


@admin.register(StockRecord)
class StockRecordAdmin(
    StockOperationsAdminMixin, CsvImportAdminMixin, ServiceErrorsAsFormErrors, admin.ModelAdmin
):
    list_display = (
        "item",
        "location",
        "lot",
        "quantity",
        "uom",
        "expires_at",
        "last_counted_at",
    )
    list_filter = ("location", "item__category", ExpiryFilter)
    list_select_related = ("item", "location")
    search_fields = ("item__sku", "item__name", "lot")
    search_help_text = "Search by SKU, item name or lot."
    ordering = ("item__name", "location__code", "lot", "id")
    autocomplete_fields = ("item",)
    list_per_page = 100
    show_full_result_count = False
    service_error_fields = {"counted_quantity": "quantity"}
    csv_import_service = import_stock_counts_csv
    csv_import_header = ",".join(STOCK_CSV_COLUMNS)
    csv_import_help = (
        "sku, location and quantity are required. Each row sets the stock of the item at the "
        "location (and lot) to the counted quantity, with a ledger row for the difference."
    )
    csv_import_permission = MOVE_STOCK_PERMISSION
    csv_export_rows = export_stock_rows
    csv_export_columns = STOCK_CSV_COLUMNS
    csv_export_name = "inventory"
    actions = STOCK_ACTIONS

    def csv_import_arguments(self, request) -> dict:
        return {"performed_by": request.user, "source": MovementSource.ADMIN}

    def _may_move_stock(self, request) -> bool:
        return may_move_stock(request)

    def has_move_stock_permission(self, request) -> bool:  # the actions' permission
        return may_move_stock(request)

    def get_urls(self):
        return [*self.stock_operation_urls("move", self.stock_operation_view), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if may_move_stock(request):
            extra_context["stock_operation_links"] = stock_operation_links(object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def stock_operation_view(self, request, object_id, operation):
        operation = stock_operation(operation)
        record = get_record_or_404(object_id)
        return self.run_stock_operation(
            request,
            operation=operation,
            item=record.item,
            record=record,
            done_url=reverse("admin:inventory_stockrecord_change", args=[record.pk]),
            context={"object": record},
        )

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            fields = ("item", "location", "lot", "quantity", "expires_at", "reason")
            return ((None, {"fields": fields}),)
        if self._may_move_stock(request):
            stock = ("item", "location", "lot", "quantity", "quantity_seen", "reason", "expires_at")
        else:
            stock = ("item", "location", "lot", "quantity", "expires_at")
        history = ("last_counted_at", "created_at", "updated_at", "ledger")
        return ((None, {"fields": stock}), ("History", {"fields": history}))

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        readonly = ("item", "location", "lot", "last_counted_at", "created_at", "updated_at")
        if not self._may_move_stock(request):
            readonly += ("quantity",)
        return (*readonly, "ledger")

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = StockRecordChangeForm if obj is not None else StockRecordAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_object(self, request, object_id, from_field=None):
        record = super().get_object(request, object_id, from_field)
        if (
            record is not None
            and request.method == "POST"
            and transaction.get_connection().in_atomic_block
        ):
            # The admin saves in one transaction: lock the row before the form compares the
            # quantity it showed with the stored one, so no stock change slips in between.
            record = lock_stock_records(record.pk)[record.pk]
        return record

    @admin.display(description="unit", ordering="item__uom")
    def uom(self, record: StockRecord) -> str:
        return record.item.uom

    def has_add_permission(self, request) -> bool:
        # Adding a stock record counts stock into it, which the API allows only with move_stock.
        return super().has_add_permission(request) and self._may_move_stock(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        # The ledger refers to stock records; a record that is gone is counted to zero instead.
        return False

    @admin.display(description="ledger")
    def ledger(self, record: StockRecord) -> str:
        url = reverse("admin:inventory_stockmovement_changelist")
        return format_html(
            '<a href="{}?stock_record__id__exact={}">Movements of this stock record</a>',
            url,
            record.pk,
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        provenance = {"performed_by": request.user, "source": MovementSource.ADMIN}
        if not change:
            movement = services.stock_count(
                item=data["item"],
                location=data["location"],
                lot=data.get("lot", ""),
                counted_quantity=data["quantity"],
                expires_at=data.get("expires_at"),
                reason=data.get("reason") or ADDED_IN_ADMIN,
                **provenance,
            )
            copy_saved_fields(obj, StockRecord.objects.get(pk=movement.stock_record_id))
            return
        if form.quantity_changed:
            services.stock_count(
                item=obj.item,
                location=obj.location,
                lot=obj.lot,
                counted_quantity=data["quantity"],
                reason=data.get("reason") or EDITED_IN_ADMIN,
                **provenance,
            )
        if "expires_at" in form.changed_data:
            services.stock_record_set_expiry(record=obj, expires_at=data.get("expires_at"))
        copy_saved_fields(obj, StockRecord.objects.get(pk=obj.pk))


# --- the ledger -----------------------------------------------------------------------------


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The append-only ledger: listed and viewed, never added, changed or deleted here."""

    list_display = (
        "created_at",
        "sku",
        "location",
        "lot",
        "kind",
        "quantity_delta",
        "quantity_after",
        "created_by",
        "source",
        "reason",
        "request_id",
    )
    # A date filter instead of date_hierarchy, whose year/month links scan the whole ledger.
    list_filter = (("created_at", admin.DateFieldListFilter), "kind", "source", "location")
    list_select_related = ("item", "location", "created_by")
    search_fields = ("item__sku", "request_id")
    search_help_text = "An exact SKU or request id."
    ordering = ("-created_at", "-id")
    list_per_page = 100
    # The ledger grows without end: never count all of it just to print a total.
    show_full_result_count = False

    @admin.display(description="SKU", ordering="item__sku")
    def sku(self, movement: StockMovement) -> str:
        return movement.item.sku

    def get_search_results(self, request, queryset, search_term):
        # Exact matches only, so both use an index on a ledger of millions of rows.
        term = search_term.strip()
        if not term:
            return queryset, False
        item_ids = list(Item.objects.filter(sku__iexact=term).values_list("pk", flat=True))
        return queryset.filter(Q(item_id__in=item_ids) | Q(request_id=term)), False
