"""The forecasting routes: for now the import of usage history."""

from drf_spectacular.utils import extend_schema_view

from forecasting.imports import import_usage_csv
from inventory_project.api.imports import CsvImportApi, import_schema


@extend_schema_view(
    post=import_schema(
        summary="Import daily usage history from CSV",
        description="Header `date,sku,quantity[,location]`: the usage of an item on a past day "
        "(at a location, or of the item as a whole when the location is blank), for "
        "forecasting. A row sets that day's usage; importing a file again changes nothing. "
        "SKUs and locations must exist; usage history writes no ledger rows.",
    )
)
class UsageImportApi(CsvImportApi):
    required_permissions = {"POST": "forecasting.change_dailyusage"}

    def run_import(self, request, csv_file, *, dry_run, atomic):
        return import_usage_csv(csv_file=csv_file, dry_run=dry_run, atomic=atomic)
