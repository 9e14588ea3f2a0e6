"""`manage.py import_usage FILE`: load daily usage history from a CSV (`forecasting.usage_csv`)."""

from forecasting.usage_csv import USAGE_CSV_COLUMNS, import_usage_csv
from inventory_project.csvio.command import CsvImportCommand


class Command(CsvImportCommand):
    help = (
        f"Load daily usage history from a CSV file. Header: {','.join(USAGE_CSV_COLUMNS)}; "
        "date (YYYY-MM-DD), sku and quantity are required; a blank location means the item as "
        "a whole."
    )
    label = "usage history"
    # Usage history records no author, so there is no --user to give.
    takes_user = False

    def run_import(self, csv_file, *, user, **options):
        return import_usage_csv(csv_file=csv_file, **options)
