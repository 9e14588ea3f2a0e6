"""Fast, deterministic bulk seeding of a benchmark database through the Django ORM.

Creates (by default) 2,000 items across 12 categories, 10 locations and 20,000 stock records
spread over items x locations x lots. Every stock record gets exactly one opening ledger row
(StockMovement, kind receipt, source system, quantity_delta = quantity_after = quantity), so the
ledger invariant "quantity == sum of the record's deltas" holds. Everything goes in with
bulk_create inside one transaction; it is meant for an empty, freshly migrated database only.

It also creates one viewer user (``--user-email`` / ``--user-password``) the benchmark signs in as.

Run from the repository root with the target database in the environment, e.g.::

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python bench/seed.py

Prints one JSON line with the counts and the time taken.
"""

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# The benchmark may run the app from an exported commit instead of this working tree.
APP_DIR = Path(os.environ.get("BENCH_APP_DIR") or REPO_ROOT)

CATEGORIES = (
    "Produce",
    "Dairy",
    "Meat",
    "Seafood",
    "Bakery",
    "Dry goods",
    "Spices",
    "Beverages",
    "Frozen",
    "Cleaning",
    "Packaging",
    "Smallwares",
)
UOMS = ("each", "kg", "l", "case", "box")
ADJECTIVES = (
    "Organic",
    "Fresh",
    "Smoked",
    "Dried",
    "Frozen",
    "Whole",
    "Sliced",
    "Premium",
    "House",
    "Bulk",
    "Fine",
    "Coarse",
    "Red",
    "Green",
    "Wild",
    "Aged",
)
NOUNS = (
    "Tomatoes",
    "Basil",
    "Butter",
    "Cream",
    "Chicken thighs",
    "Salmon",
    "Baguette",
    "Flour",
    "Rice",
    "Paprika",
    "Olive oil",
    "Coffee beans",
    "Peas",
    "Detergent",
    "Takeaway boxes",
    "Tongs",
    "Onions",
    "Garlic",
    "Mozzarella",
    "Prawns",
    "Sugar",
    "Lemons",
    "Yeast",
    "Vinegar",
)
LOTS = ("", "LOT-A", "LOT-B")
DEFAULT_USER_EMAIL = "bench-viewer@example.com"
DEFAULT_USER_PASSWORD = "bench-viewer-password-not-secret"


def _setup_django() -> None:
    if str(APP_DIR) not in sys.path:
        sys.path.insert(0, str(APP_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_project.settings")
    import django

    django.setup()


def _quantity(rng: random.Random, low: int, high: int) -> Decimal:
    """A decimal with at most 3 places, as the quantity columns store."""
    return Decimal(rng.randint(low * 1000, high * 1000)) / 1000


def seed(
    *,
    items: int = 2000,
    locations: int = 10,
    stock_records: int = 20000,
    user_email: str = DEFAULT_USER_EMAIL,
    user_password: str = DEFAULT_USER_PASSWORD,
    random_seed: int = 42,
) -> dict:
    """Fill an empty database; return the counts. Call after django.setup()."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.db.models import F, Sum
    from django.db.models.functions import Coalesce

    from accounts.roles import Role
    from inventory.models import (
        Location,
        MovementKind,
        MovementSource,
        StockMovement,
        StockRecord,
    )
    from items.models import Item

    combos_per_item = locations * len(LOTS)
    per_item, extra = divmod(stock_records, items)
    if per_item + (1 if extra else 0) > combos_per_item:
        raise SystemExit(
            f"{stock_records} stock records do not fit in {items} items x {locations} "
            f"locations x {len(LOTS)} lots"
        )
    if Item.objects.exists() or Location.objects.exists() or StockRecord.objects.exists():
        raise SystemExit(
            "The database already holds items, locations or stock: seed needs it empty."
        )

    rng = random.Random(random_seed)
    started = time.perf_counter()
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()

    with transaction.atomic():
        Location.objects.bulk_create(
            [
                Location(code=f"LOC-{n:02d}", name=f"Store room {n:02d}")
                for n in range(1, locations + 1)
            ]
        )
        item_objs = []
        for n in range(1, items + 1):
            par = _quantity(rng, 5, 200)
            item_objs.append(
                Item(
                    sku=f"SKU-{n:05d}",
                    name=f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {n:05d}",
                    category=CATEGORIES[n % len(CATEGORIES)],
                    uom=rng.choice(UOMS),
                    reorder_min=(par / 2).quantize(Decimal("0.001")),
                    reorder_max=par * 2,
                    par_level=par,
                    active=n % 25 != 0,  # 4% inactive, as a real item master has
                )
            )
        item_objs = Item.objects.bulk_create(item_objs, batch_size=1000)
        # Not every backend returns primary keys from bulk_create: read them back by SKU.
        item_ids = dict(Item.objects.values_list("sku", "id"))
        location_ids = [loc.id for loc in Location.objects.order_by("code")]

        record_objs = []
        combos = [(loc, lot) for loc in location_ids for lot in LOTS]
        for index, item in enumerate(item_objs):
            count = per_item + (1 if index < extra else 0)
            for location_id, lot in rng.sample(combos, count):
                record_objs.append(
                    StockRecord(
                        item_id=item_ids[item.sku],
                        location_id=location_id,
                        lot=lot,
                        quantity=_quantity(rng, 0, 120),
                        expires_at=(today + timedelta(days=rng.randint(-10, 365))) if lot else None,
                        last_counted_at=(
                            now - timedelta(hours=rng.randint(1, 24 * 60))
                            if rng.random() < 0.7
                            else None
                        ),
                    )
                )
        StockRecord.objects.bulk_create(record_objs, batch_size=2000)

        movement_objs = [
            StockMovement(
                stock_record_id=record_id,
                item_id=item_id,
                location_id=location_id,
                lot=lot,
                kind=MovementKind.RECEIPT,
                quantity_delta=quantity,
                quantity_after=quantity,
                created_at=created_at,
                reason="Opening balance (benchmark seed)",
                source=MovementSource.SYSTEM,
            )
            for record_id, item_id, location_id, lot, quantity, created_at in (
                StockRecord.objects.order_by("id").values_list(
                    "id", "item_id", "location_id", "lot", "quantity", "created_at"
                )
            )
        ]
        StockMovement.objects.bulk_create(movement_objs, batch_size=2000)

        user_model = get_user_model()
        user = user_model.objects.create_user(
            email=user_email, password=user_password, name="Benchmark viewer", is_staff=True
        )
        user.groups.add(Group.objects.get(name=Role.VIEWER.value))

    # The ledger invariant, checked by the database: every record's quantity is its deltas' sum.
    broken = (
        StockRecord.objects.annotate(ledger=Coalesce(Sum("movements__quantity_delta"), Decimal(0)))
        .exclude(quantity=F("ledger"))
        .count()
    )
    counts = {
        "items": Item.objects.count(),
        "locations": Location.objects.count(),
        "stock_records": StockRecord.objects.count(),
        "movements": StockMovement.objects.count(),
        "ledger_mismatches": broken,
        "seconds": round(time.perf_counter() - started, 2),
        "database": connection.vendor,
    }
    if (
        broken
        or counts["stock_records"] != stock_records
        or counts["movements"] != stock_records
        or counts["items"] != items
    ):
        raise SystemExit(f"Seeding went wrong: {counts}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--locations", type=int, default=10)
    parser.add_argument("--stock-records", type=int, default=20000)
    parser.add_argument("--user-email", default=DEFAULT_USER_EMAIL)
    parser.add_argument("--user-password", default=DEFAULT_USER_PASSWORD)
    parser.add_argument("--random-seed", type=int, default=42)
    args = parser.parse_args(argv)
    _setup_django()
    counts = seed(
        items=args.items,
        locations=args.locations,
        stock_records=args.stock_records,
        user_email=args.user_email,
        user_password=args.user_password,
        random_seed=args.random_seed,
    )
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
