"""The item master in the Django admin: a thin layer over `items.services`.

Adding or changing an item calls `item_create` / `item_update`, the "Deactivate" action calls
`item_deactivate`, exactly as the API does; items are never deleted (the ledger refers to them).
`inventory.admin` extends this admin with the stock on hand (items know nothing of stock).

Service refusals show as form errors (`inventory_project.admin_helpers`), never as server errors.
"Import CSV" on the change list upserts items through `items.item_csv`, after a preview.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import ngettext

from inventory_project.admin_helpers import (
    AuditHistoryAdminMixin,
    ServiceErrorsAsFormErrors,
    copy_saved_fields,
    service_validation_error,
)
from inventory_project.csvio.admin import CsvImportAdminMixin
from inventory_project.service_errors import ServiceError
from items import services
from items.fields import (
    CSV_COLUMNS,
    EDITABLE_FIELDS,
    IDENTITY_FIELD,
    QUANTITY_FIELDS,
    STAMPED_ON_CREATE,
)
from items.item_csv import export_item_rows, import_items_csv
from items.models import Item
from items.services import ACTIVATE_PERMISSION

_NOT_QUANTITIES = tuple(name for name in EDITABLE_FIELDS if name not in QUANTITY_FIELDS)


class ItemAdminForm(forms.ModelForm):
    """Checks the rules of `items.services` before saving, so they show as form errors."""

    class Meta:
        model = Item
        fields = CSV_COLUMNS

    def clean_sku(self):
        try:
            sku = services.normalize_sku(self.cleaned_data.get("sku", ""))
            if self.instance.pk is None:
                services.validate_new_sku(sku)
            return sku
        except ServiceError as error:
            raise ValidationError(error.message, code=error.code) from None

    def clean(self):
        cleaned_data = super().clean()
        reorder_min = cleaned_data.get("reorder_min", self.instance.reorder_min)
        reorder_max = cleaned_data.get("reorder_max", self.instance.reorder_max)
        if reorder_min is not None and reorder_max is not None:
            try:
                services.validate_reorder_levels(reorder_min=reorder_min, reorder_max=reorder_max)
            except ServiceError as error:
                raise service_validation_error(error) from None
        return cleaned_data


@admin.register(Item)
class ItemAdmin(
    AuditHistoryAdminMixin, CsvImportAdminMixin, ServiceErrorsAsFormErrors, admin.ModelAdmin
):
    form = ItemAdminForm
    csv_import_service = import_items_csv
    csv_import_header = ",".join(CSV_COLUMNS)
    csv_import_help = (
        "Only sku is required; a new item also needs a name. A row updates the item with its "
        "SKU or creates it; blank cells and missing columns keep the item's values."
    )
    csv_import_permission = "items.change_item"
    csv_export_rows = export_item_rows
    csv_export_columns = CSV_COLUMNS
    csv_export_name = "items"
    list_display = (
        "sku",
        "name",
        "category",
        "uom",
        "par_level",
        "active",
    )
    list_display_links = ("sku", "name")
    list_filter = ("category", "active")
    search_fields = ("sku", "name")
    search_help_text = "Search by SKU or name."
    ordering = ("name", "id")
    list_per_page = 100
    show_full_result_count = False
    # Every field of the model: the quantities together, the stamps last (shown once saved).
    fieldsets = (
        (None, {"fields": (IDENTITY_FIELD, *_NOT_QUANTITIES)}),
        ("Levels", {"fields": QUANTITY_FIELDS}),
        ("History", {"fields": STAMPED_ON_CREATE}),
    )
    actions = ("deactivate_selected",)

    def csv_import_arguments(self, request) -> dict:
        # The user's role decides whether rows may (de)activate items, as in the API.
        return {"performed_by": request.user}

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return STAMPED_ON_CREATE
        # The SKU is the item's identity (the API and the ledger address items by it).
        readonly = (IDENTITY_FIELD, *STAMPED_ON_CREATE)
        # (De)activating is the soft delete: admins only, as the API's DELETE.
        if not request.user.has_perm(ACTIVATE_PERMISSION):
            readonly += ("active",)
        return readonly

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets[:2]
        return self.fieldsets

    def has_delete_permission(self, request, obj=None) -> bool:
        # Items are deactivated, never deleted: stock records and the ledger refer to them.
        return False

    def has_deactivate_permission(self, request) -> bool:
        # Deactivation is the API's DELETE, which needs the delete permission (admins).
        return request.user.has_perm(ACTIVATE_PERMISSION)

    def save_model(self, request, obj, form, change):
        if change:
            data = {
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name in EDITABLE_FIELDS
            }
            saved = services.item_update(item=obj, data=data)
        else:
            saved = services.item_create(
                **{
                    name: form.cleaned_data[name]
                    for name in CSV_COLUMNS
                    if name in form.cleaned_data
                }
            )
        copy_saved_fields(obj, saved)

    @admin.action(description="Deactivate selected items", permissions=("deactivate",))
    def deactivate_selected(self, request, queryset):
        deactivated = 0
        with transaction.atomic():
            for item in queryset.filter(active=True):
                services.item_deactivate(item=item)
                deactivated += 1
        self.message_user(
            request,
            ngettext("Deactivated %d item.", "Deactivated %d items.", deactivated) % deactivated,
            messages.SUCCESS,
        )
