"""`manage.py import_items FILE`: upsert the item master from a CSV file (see `items.item_csv`)."""

from inventory_project.csvio.command import CsvImportCommand
from items.fields import CSV_COLUMNS
from items.item_csv import import_items_csv


class Command(CsvImportCommand):
    help = (
        f"Create or update items by SKU from a CSV file. Header: {','.join(CSV_COLUMNS)}; "
        "only sku is required (a new item also needs a name). Blank cells and columns left out "
        "keep the item's values. With --user, that user's role decides whether active may change."
    )
    label = "items"

    def run_import(self, csv_file, *, user, **options):
        return import_items_csv(csv_file=csv_file, performed_by=user, **options)
