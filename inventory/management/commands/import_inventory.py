"""`manage.py import_inventory FILE`: apply stock counts from a CSV file (`inventory.stock_csv`).

Each change is a ledger row of source `command`, made by `--user` when one is given.
"""

from inventory.models import MovementSource
from inventory.stock_csv import STOCK_CSV_COLUMNS, import_stock_counts_csv
from inventory_project.csvio.command import CsvImportCommand


class Command(CsvImportCommand):
    help = (
        f"Set counted stock quantities from a CSV file. Header: {','.join(STOCK_CSV_COLUMNS)}; "
        "sku, location and quantity are required. Every change is recorded in the ledger "
        "(source 'command', created by --user)."
    )
    label = "stock counts"

    def run_import(self, csv_file, *, user, **options):
        return import_stock_counts_csv(
            csv_file=csv_file, performed_by=user, source=MovementSource.COMMAND, **options
        )
