"""`manage.py load_demo_data`: fill a fresh database with a kitchen and a year of stock history.

Safe to run again: when the demo data is already there (SKU-1001 exists) it says so and changes
nothing. The data and how it is written are in `inventory.demo_data`.
"""

from django.core.management.base import BaseCommand

from inventory import demo_data


class Command(BaseCommand):
    help = (
        "Load demo items, locations, stock and a year of ledger history into a fresh database "
        "(does nothing when the demo data is already loaded)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed",
            type=int,
            default=demo_data.DEFAULT_SEED,
            help=f"Seed of the random history (default {demo_data.DEFAULT_SEED}); "
            "the same seed on the same day gives the same data.",
        )

    def handle(self, *args, seed: int, **options):
        result = demo_data.load_demo_data(seed=seed)
        if not result.loaded:
            self.stdout.write(
                f"Demo data is already loaded ({demo_data.MARKER_SKU} exists); nothing changed."
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded demo data (seed {seed}): {result.items} items, "
                f"{result.locations} locations, {result.stock_records} stock records, "
                f"{result.movements} movements; {result.low_stock_items} items low or out of "
                f"stock, {result.expiring_soon} lots expiring within "
                f"{demo_data.EXPIRING_SOON_DAYS} days."
            )
        )
