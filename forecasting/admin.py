"""Imported daily usage in the Django admin: listed, and loaded by "Import CSV", never edited.

Usage history comes only from files (`forecasting.imports`, the same service as
`POST /api/usage/import` and `manage.py import_usage`), so the admin adds, changes and deletes
nothing row by row; a wrong day is corrected by importing it again.
"""

from django.contrib import admin

from forecasting.imports import USAGE_CSV_COLUMNS, import_usage_csv
from forecasting.models import DailyUsage
from inventory_project.admin_imports import CsvImportAdminMixin


@admin.register(DailyUsage)
class DailyUsageAdmin(CsvImportAdminMixin, admin.ModelAdmin):
    list_display = ("sku", "where", "date", "quantity")
    list_filter = ("location",)
    list_select_related = ("item", "location")
    date_hierarchy = "date"
    # Exact SKUs only: the join then reads an item's usage through its index.
    search_fields = ("=item__sku",)
    search_help_text = "An exact SKU."
    list_per_page = 100
    show_full_result_count = False
    csv_import_service = import_usage_csv
    csv_import_header = ",".join(USAGE_CSV_COLUMNS)
    csv_import_help = (
        "date, sku and quantity are required; a blank location is the usage of the item across "
        "all locations. A row sets the usage of that day; importing a file again changes nothing."
    )
    csv_import_permission = "forecasting.change_dailyusage"

    @admin.display(description="SKU", ordering="item__sku")
    def sku(self, usage: DailyUsage) -> str:
        return usage.item.sku

    @admin.display(description="location", ordering="location__code")
    def where(self, usage: DailyUsage) -> str:
        return usage.location.code if usage.location_id else "(all locations)"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
