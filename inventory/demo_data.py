"""Demo data for a fresh database: a kitchen with a year of stock history (`load_demo_data`).

About seventy items in nine categories (the six seed SKUs of v20 among them), five locations, and
for every stock record 365 days of ledger rows that end in its current quantity: usage with a
weekly rhythm (Friday and Saturday are the busy days) and a mild summer peak, deliveries on each
supplier's weekdays whenever stock falls below the reorder point, bar restocks as transfers from
dry storage, monthly counts that find a little shrinkage, and the odd spoiled or dropped batch.
Demand comes in the four shapes a kitchen has (`ItemSpec`): smooth staples used every day in
steady amounts, erratic catering items used every day but in very uneven amounts, intermittent
spices and specialties used on some days in steady amounts, and lumpy supplies going out by the
case on some days in very uneven amounts. The last weeks leave a living picture: two items
launched about forty days ago, some items below par after a supplier shortage, one stocked out,
two new items without stock, lots expiring in the next days and one already expired.

Two steps: `build_demo_plan` is pure (the same seed and day give the same plan), and
`load_demo_data` writes it. Items and locations are made through their services; the history is
written with `bulk_create`, because the services stamp the current time and a year of rows one
service call at a time would take minutes. Each record's ledger still satisfies the invariant the
services keep: its quantity equals the sum of its movements' deltas, and every movement's
`quantity_after` is the running total in time order. Every ledger row has source "command".
"""

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from inventory import selectors, services
from inventory.models import Location, MovementKind, MovementSource, StockMovement, StockRecord
from items import services as item_services
from items.models import Item

DEFAULT_SEED = 20
HISTORY_DAYS = 365
BATCH_SIZE = 2000
# Its presence means the demo data is loaded (it is also the first of the six seed SKUs).
MARKER_SKU = "SKU-1001"
EXPIRING_SOON_DAYS = 3

# Monday first. Friday and Saturday nights are the busy ones; Sunday has a brunch.
WEEKDAY_FACTOR = (0.80, 0.85, 0.95, 1.05, 1.40, 1.50, 0.90)


@dataclass(frozen=True)
class LocationSpec:
    code: str
    name: str


LOCATIONS = (
    LocationSpec("WALK-IN", "Walk-in cooler"),
    LocationSpec("FREEZER", "Freezer"),
    LocationSpec("DRY", "Dry storage"),
    LocationSpec("BAR", "Bar"),
    LocationSpec("DOCK", "Loading dock cage"),
)


@dataclass(frozen=True)
class CategorySpec:
    """Where a category is kept and how it is supplied."""

    location: str
    supplier: str
    delivery_weekdays: tuple[int, ...]
    lots: bool  # stock carries a supplier lot code
    shelf_days: int | None  # days from delivery to expiry; None: does not expire
    waste_rate: float = 0.0  # chance per day of a spoiled or dropped batch
    bar_location: str | None = None  # kept in `location`, restocked to the bar by transfers


CATEGORIES = {
    "Protein": CategorySpec("WALK-IN", "Harbor Meats", (0, 2, 4), True, 6, 1 / 40),
    "Dairy": CategorySpec("WALK-IN", "Valley Dairy Co.", (1, 4), True, 12, 1 / 60),
    "Produce": CategorySpec("WALK-IN", "Green Fields Produce", (0, 2, 4), False, 6, 1 / 30),
    "Dry goods": CategorySpec("DRY", "Metro Foodservice", (1,), True, 240),
    "Oils & sauces": CategorySpec("DRY", "Metro Foodservice", (1,), True, 365),
    "Beverages": CategorySpec("DRY", "Northside Beverages", (3,), False, None, bar_location="BAR"),
    "Frozen": CategorySpec("FREEZER", "Metro Foodservice", (3,), True, 180),
    "Cleaning": CategorySpec("DOCK", "CleanPro Supply", (0,), False, None),
    "Paper goods": CategorySpec("DOCK", "CleanPro Supply", (0,), False, None),
}


@dataclass(frozen=True)
class ItemSpec:
    """An item and its demand, in one of four shapes (Syntetos-Boylan's classes).

    Used every day: `mean` per day, each day's use spread by a gamma of `shape` (smooth); with
    `event_chance`, a catering event on that share of days adds a use of about `event_size`
    (erratic). Used on `chance` of days only, a use of about `size`: steady sizes with a high
    `shape` (intermittent), very uneven ones with a `shape` below 1 (lumpy). The variance of a
    gamma of shape k is mean² / k, so a size's CV² is about 1 / `shape`. An item with
    `launched_days_ago` has its first delivery that many days ago (items kept outside the bar).
    """

    sku: str
    name: str
    category: str
    uom: str
    mean: float = 0.0
    chance: float = 1.0
    size: float = 0.0
    shape: float = 8.0
    event_chance: float = 0.0
    event_size: float = 0.0
    shelf_days: int | None = None  # overrides the category's
    active: bool = True
    stocked: bool = True
    launched_days_ago: int | None = None

    @property
    def intermittent(self) -> bool:
        return self.chance < 1.0

    @property
    def daily_mean(self) -> float:
        if self.intermittent:
            return self.chance * self.size
        return self.mean + self.event_chance * self.event_size

    @property
    def large_use(self) -> float:
        """A use at the upper end of its sizes (about the 95th percentile)."""
        size = self.size if self.intermittent else self.event_size
        return size * (1 + 2 / math.sqrt(self.shape if self.intermittent else 4.0))


def _smooth(sku, name, category, uom, mean, **extra) -> ItemSpec:
    return ItemSpec(sku, name, category, uom, mean=mean, **extra)


def _erratic(sku, name, category, uom, mean, event_chance, event_size, **extra) -> ItemSpec:
    return ItemSpec(
        sku,
        name,
        category,
        uom,
        mean=mean,
        event_chance=event_chance,
        event_size=event_size,
        **extra,
    )


def _intermittent(sku, name, category, uom, chance, size, **extra) -> ItemSpec:
    return ItemSpec(sku, name, category, uom, chance=chance, size=size, shape=16.0, **extra)


def _lumpy(sku, name, category, uom, chance, size, **extra) -> ItemSpec:
    return ItemSpec(sku, name, category, uom, chance=chance, size=size, shape=0.7, **extra)


RECENT_LAUNCH_DAYS = 40

ITEMS = (
    # The six seed items come first.
    _smooth("SKU-1001", "Chicken breast", "Protein", "kg", 9.0),
    _smooth("SKU-1002", "Ground beef", "Protein", "kg", 6.5),
    _smooth("SKU-2001", "Whole milk", "Dairy", "L", 14.0),
    _smooth("SKU-3001", "Romaine lettuce", "Produce", "each", 18),
    _smooth("SKU-4001", "All-purpose flour", "Dry goods", "kg", 7.0),
    _smooth("SKU-5001", "Olive oil, extra virgin", "Oils & sauces", "L", 2.8),
    _smooth("SKU-1003", "Pork shoulder", "Protein", "kg", 3.0),
    # Banquet and catering items: a little every day, a lot on event days.
    _erratic("SKU-1004", "Salmon fillet", "Protein", "kg", 1.5, 0.15, 8.0),
    _smooth("SKU-1005", "Beef striploin", "Protein", "kg", 3.5),
    _smooth("SKU-1006", "Chicken thighs", "Protein", "kg", 4.5),
    _smooth("SKU-1007", "Bacon, sliced", "Protein", "kg", 2.5),
    _intermittent("SKU-1008", "Lamb rack", "Protein", "kg", 0.3, 2.0),
    _smooth("SKU-2002", "Unsalted butter", "Dairy", "kg", 2.2),
    _erratic("SKU-2003", "Heavy cream", "Dairy", "L", 1.5, 0.15, 6.0),
    _smooth("SKU-2004", "Cheddar, aged", "Dairy", "kg", 1.8),
    _smooth("SKU-2005", "Parmigiano Reggiano", "Dairy", "kg", 0.6, shelf_days=60),
    _smooth("SKU-2006", "Large eggs", "Dairy", "each", 150, shelf_days=21),
    _smooth("SKU-2007", "Greek yogurt", "Dairy", "kg", 1.5),
    _smooth("SKU-2008", "Fresh mozzarella", "Dairy", "kg", 2.0, shelf_days=8),
    _smooth("SKU-2090", "Oat milk", "Dairy", "L", 0.0, stocked=False),
    _smooth("SKU-3002", "Yellow onions", "Produce", "kg", 6.0, shelf_days=20),
    _smooth("SKU-3003", "Roma tomatoes", "Produce", "kg", 5.0),
    _smooth("SKU-3004", "Russet potatoes", "Produce", "kg", 10.0, shelf_days=25),
    _smooth("SKU-3005", "Lemons", "Produce", "each", 30, shelf_days=14),
    _smooth("SKU-3006", "Carrots", "Produce", "kg", 3.0, shelf_days=14),
    _intermittent("SKU-3007", "Fresh basil (bunch)", "Produce", "each", 0.5, 3),
    _smooth("SKU-3008", "Garlic", "Produce", "kg", 0.8, shelf_days=30),
    _smooth("SKU-3009", "Avocados", "Produce", "each", 14, shelf_days=5),
    _erratic("SKU-3010", "Mixed berries", "Produce", "kg", 0.5, 0.15, 3.0, shelf_days=4),
    _smooth("SKU-3011", "Microgreens", "Produce", "kg", 0.5, launched_days_ago=RECENT_LAUNCH_DAYS),
    _smooth("SKU-4002", "Granulated sugar", "Dry goods", "kg", 3.0),
    _smooth("SKU-4003", "Arborio rice", "Dry goods", "kg", 2.5),
    _smooth("SKU-4004", "Spaghetti", "Dry goods", "kg", 3.5),
    _smooth("SKU-4005", "Whole peeled tomatoes, #10 can", "Dry goods", "each", 8),
    _smooth("SKU-4006", "Kosher salt", "Dry goods", "kg", 1.0),
    _intermittent("SKU-4007", "Black peppercorns", "Dry goods", "kg", 0.15, 0.5),
    _smooth("SKU-4008", "Panko breadcrumbs", "Dry goods", "kg", 1.2),
    _intermittent("SKU-4009", "Smoked paprika", "Dry goods", "kg", 0.2, 0.25),
    _intermittent("SKU-4782", "Dried porcini mushrooms", "Dry goods", "kg", 0.08, 0.5),
    _smooth("SKU-4090", "Saffron threads", "Dry goods", "g", 0.0, stocked=False),
    _smooth("SKU-5002", "Canola frying oil", "Oils & sauces", "L", 6.0),
    _smooth("SKU-5003", "Balsamic vinegar", "Oils & sauces", "L", 0.4),
    _smooth("SKU-5004", "Soy sauce", "Oils & sauces", "L", 0.6),
    _smooth("SKU-5005", "Dijon mustard", "Oils & sauces", "kg", 0.4),
    _intermittent("SKU-5491", "Truffle oil", "Oils & sauces", "L", 0.06, 0.25),
    _smooth("SKU-6001", "Sparkling water, 750 ml", "Beverages", "each", 30),
    _smooth("SKU-6002", "Cola, 330 ml can", "Beverages", "each", 40),
    _smooth("SKU-6003", "House red wine, bottle", "Beverages", "each", 8),
    _smooth("SKU-6004", "House white wine, bottle", "Beverages", "each", 9),
    _smooth("SKU-6005", "Lager, draught", "Beverages", "L", 30.0),
    _smooth("SKU-6006", "Coffee beans", "Beverages", "kg", 1.6),
    _smooth("SKU-6007", "Orange juice", "Beverages", "L", 5.0),
    # Party orders: a bottle or two for a table, or a case for a private room.
    _lumpy("SKU-6823", "Prosecco, bottle", "Beverages", "each", 0.25, 4),
    _smooth("SKU-6099", "Energy drink, can (discontinued)", "Beverages", "each", 6, active=False),
    _smooth("SKU-7001", "French fries", "Frozen", "kg", 12.0),
    _smooth("SKU-7002", "Shrimp 16/20", "Frozen", "kg", 1.5),
    _smooth("SKU-7003", "Vanilla ice cream", "Frozen", "L", 2.5),
    _erratic("SKU-7004", "Puff pastry sheets", "Frozen", "each", 3, 0.15, 24),
    _erratic("SKU-7005", "Cocktail shrimp skewers", "Frozen", "each", 6, 0.12, 60),
    _smooth(
        "SKU-7006",
        "Plant-based patties",
        "Frozen",
        "each",
        12,
        launched_days_ago=RECENT_LAUNCH_DAYS - 2,
    ),
    _smooth("SKU-8001", "Dish detergent", "Cleaning", "L", 1.5),
    _smooth("SKU-8002", "Sanitizer concentrate", "Cleaning", "L", 0.6),
    _smooth("SKU-8004", "Nitrile gloves, box of 100", "Cleaning", "each", 2.5),
    _intermittent("SKU-8932", "Oven cleaner", "Cleaning", "L", 0.1, 2),
    # Cleaning and paper supplies go out by the case: one now, five before a deep clean.
    _lumpy("SKU-8005", "Degreaser, case", "Cleaning", "case", 0.2, 1.5),
    _lumpy("SKU-9001", "Takeout containers", "Paper goods", "case", 0.35, 2),
    _lumpy("SKU-9002", "Paper napkins", "Paper goods", "case", 0.4, 2),
    _lumpy("SKU-9003", "Paper towels", "Paper goods", "case", 0.3, 2),
    _lumpy("SKU-9005", "Trash bags", "Paper goods", "case", 0.2, 2),
)

# No deliveries in the last N days: a supplier shortage leaves these low (and SKU-1005 out).
# The discontinued energy drink was last delivered months ago and has run out since.
SHORTAGE_DAYS = {
    "SKU-3001": 5,
    "SKU-2002": 5,
    "SKU-4003": 8,
    "SKU-6002": 8,
    "SKU-1005": 21,
    "SKU-6099": 130,
}


@dataclass(frozen=True)
class ExtraLot:
    """A second stock record of an item: an older lot, or a backup in another location."""

    sku: str
    location: str
    days_ago: int  # its history starts this many days before today
    received: float  # the first delivery
    use: float  # daily use; with `chance` < 1, the size of a use on the days it happens
    chance: float = 1.0
    shelf_days: int | None = None
    restock: bool = False  # weekly deliveries when low (otherwise the lot only runs down)


EXTRA_LOTS = (
    # The last crates of an older milk lot, expiring tomorrow.
    ExtraLot("SKU-2001", "WALK-IN", days_ago=11, received=14, use=0.8, shelf_days=12),
    # A carton of cream past its date, to be written off.
    ExtraLot("SKU-2003", "WALK-IN", days_ago=14, received=4, use=0.2, shelf_days=13),
    # Frozen chicken as a backup for the days the fresh runs out.
    ExtraLot(
        "SKU-1001",
        "FREEZER",
        days_ago=HISTORY_DAYS,
        received=20,
        use=5.0,
        chance=0.08,
        shelf_days=120,
        restock=True,
    ),
)


# --- the plan -------------------------------------------------------------------------------


@dataclass
class PlannedMovement:
    kind: str
    quantity_delta: Decimal
    quantity_after: Decimal
    created_at: datetime
    reason: str
    transfer_id: uuid.UUID | None = None


@dataclass
class PlannedRecord:
    sku: str
    location: str
    lot: str = ""
    expires_at: date | None = None
    quantity: Decimal = Decimal(0)
    movements: list[PlannedMovement] = field(default_factory=list)

    def move(self, kind: str, delta: Decimal, at: datetime, reason: str, transfer_id=None):
        self.quantity += delta
        if self.quantity < 0:  # the simulation never issues more than is on hand
            raise AssertionError(f"{self.sku}@{self.location} would go negative")
        self.movements.append(
            PlannedMovement(kind, delta, self.quantity, at, reason, transfer_id=transfer_id)
        )

    @property
    def last_counted_at(self) -> datetime | None:
        counts = [m.created_at for m in self.movements if m.kind == MovementKind.COUNT]
        return counts[-1] if counts else None

    @property
    def last_receipt_day(self) -> date | None:
        receipts = [
            m.created_at
            for m in self.movements
            if m.kind == MovementKind.RECEIPT or m.reason == OPENING
        ]
        return receipts[-1].date() if receipts else None


@dataclass
class DemoPlan:
    seed: int
    today: date
    start: date
    items: tuple[ItemSpec, ...]
    locations: tuple[LocationSpec, ...]
    records: list[PlannedRecord]

    @property
    def movement_count(self) -> int:
        return sum(len(record.movements) for record in self.records)


OPENING = "Opening stock count"
WASTE_REASONS = ("Spoiled", "Past use-by date", "Dropped during service", "Rejected: quality")


def _step(uom: str) -> Decimal:
    """Quarter kilograms and litres, whole units otherwise.

    Quarters are exact binary fractions, so even SQLite (which sums decimals as floats) adds a
    year of them up to exactly the stored quantity.
    """
    return Decimal("0.25") if uom in ("kg", "L") else Decimal(1)


def _round(value: float, step: Decimal, rounding=ROUND_HALF_UP) -> Decimal:
    units = (Decimal(repr(max(value, 0.0))) / step).to_integral_value(rounding=rounding)
    return (units * step).quantize(Decimal("0.001"))


def _level(value: float, uom: str) -> Decimal:
    """A reorder level people would write: whole units from 2 up, quarters below."""
    step = Decimal(1) if value >= 2 else _step(uom)
    return max(_round(value, step, ROUND_CEILING), _step(uom))


@dataclass(frozen=True)
class Levels:
    reorder_min: Decimal
    reorder_max: Decimal
    par_level: Decimal


def item_levels(spec: ItemSpec) -> Levels:
    """Reorder point, order-up-to level and par, from the demand in the longest delivery gap.

    The reorder point covers that gap at the weekend's pace, the order-up-to level one more gap,
    and par is that gap's use at a normal pace. Steady items are topped up to the order-up-to
    level on every delivery day, so they fall below par only when a delivery fails.
    """
    if not spec.stocked:
        return Levels(Decimal(2), Decimal(10), Decimal(4))
    cover = spec.daily_mean * _longest_gap(CATEGORIES[spec.category].delivery_weekdays)
    if spec.intermittent:
        # Enough for the gap's uses and a large one besides: a case order is not turned away.
        return Levels(
            _level(cover + spec.large_use, spec.uom),
            _level(cover * 2 + spec.large_use * 2, spec.uom),
            _level(spec.size, spec.uom),
        )
    return Levels(
        _level(cover * 1.5 + spec.large_use, spec.uom),
        _level(cover * 2.6 + spec.large_use * 2, spec.uom),
        _level(cover, spec.uom),
    )


def _longest_gap(weekdays: tuple[int, ...]) -> int:
    """Most days from one delivery to the next: Friday to Monday is 3 for Mon/Wed/Fri."""
    days = sorted(weekdays)
    return max((b - a) % 7 or 7 for a, b in zip(days, days[1:] + days[:1], strict=True))


class _Clock:
    """Times of day for the kinds of movement, in their order within a day."""

    def __init__(self, tz: tzinfo, rng: random.Random):
        self.tz = tz
        self.rng = rng

    def at(self, day: date, hour: int, spread_minutes: int = 60) -> datetime:
        minute = self.rng.randrange(spread_minutes)
        return datetime.combine(day, time(hour + minute // 60, minute % 60), tzinfo=self.tz)

    def opening(self, day):
        return self.at(day, 5)

    def delivery(self, day):
        return self.at(day, 6, 120)

    def transfer(self, day):
        return self.at(day, 10, 90)

    def waste(self, day):
        return self.at(day, 15, 120)

    def usage(self, day):
        return self.at(day, 20, 150)

    def count(self, day):
        return self.at(day, 23, 30)


class _Demand:
    """Daily use of one stock record: weekday rhythm, a mild summer peak, its shape's noise.

    Busy days make a use more likely (intermittent and lumpy items, catering events) or larger
    (daily use); the size of an occasional use does not follow the weekday.
    """

    def __init__(self, rng, *, uom, mean=0.0, chance=1.0, size=0.0, shape=8.0, events=(0.0, 0.0)):
        self.rng, self.step = rng, _step(uom)
        self.mean, self.chance, self.size, self.shape = mean, chance, size, shape
        self.event_chance, self.event_size = events

    @classmethod
    def of(cls, spec: ItemSpec, rng) -> "_Demand":
        return cls(
            rng,
            uom=spec.uom,
            mean=spec.mean,
            chance=spec.chance,
            size=spec.size,
            shape=spec.shape,
            events=(spec.event_chance, spec.event_size),
        )

    def on(self, day: date) -> Decimal:
        season = 1 + 0.12 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 105) / 365)
        factor = WEEKDAY_FACTOR[day.weekday()] * season
        if self.chance < 1.0:
            if self.rng.random() >= min(1.0, self.chance * factor):
                return Decimal(0)
            size = self.rng.gammavariate(self.shape, self.size / self.shape)
            return _round(size, self.step, ROUND_CEILING)
        if self.mean <= 0:
            return Decimal(0)
        used = self.rng.gammavariate(self.shape, self.mean * factor / self.shape)
        if self.event_chance and self.rng.random() < self.event_chance * factor:
            used += self.rng.gammavariate(4.0, self.event_size / 4)
        return _round(used, self.step)


def _is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


def _count(record: PlannedRecord, rng, clock, day, step) -> None:
    """A monthly count: usually a little shrinkage, now and then a little found."""
    shrink = _round(float(record.quantity) * rng.uniform(0.0, 0.03), step)
    if rng.random() < 0.15:
        shrink = -_round(float(record.quantity) * rng.uniform(0.0, 0.01), step)
    delta = -min(shrink, record.quantity)
    record.move(MovementKind.COUNT, delta, clock.count(day), "Monthly stock count")


def _maybe_waste(record, rng, clock, day, rate, step) -> None:
    if rate and record.quantity > 0 and rng.random() < rate:
        lost = min(_round(float(record.quantity) * rng.uniform(0.05, 0.2), step), record.quantity)
        if lost > 0:
            reason = rng.choice(WASTE_REASONS)
            record.move(MovementKind.ADJUSTMENT, -lost, clock.waste(day), reason)


def _wants_order(spec: ItemSpec, levels: Levels, on_hand: Decimal) -> bool:
    """Steady items are topped up on every delivery day; intermittent ones at the reorder point."""
    if spec.intermittent:
        return on_hand < levels.reorder_min
    return on_hand < levels.reorder_max * Decimal("0.9")


def _receive_up_to(record, target: Decimal, uom: str, at: datetime, supplier: str) -> None:
    quantity = _round(float(target - record.quantity), Decimal(1), ROUND_CEILING)
    quantity = max(quantity, _step(uom))
    record.move(MovementKind.RECEIPT, quantity, at, f"Delivery from {supplier}")


def _days(start: date, end: date):
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)


def _first_day(spec: ItemSpec, plan: DemoPlan) -> date:
    """The year's first day, or a new item's first delivery."""
    if spec.launched_days_ago:
        return plan.today - timedelta(days=spec.launched_days_ago)
    return plan.start


def _simulate_store(spec: ItemSpec, plan: DemoPlan, tz) -> list[PlannedRecord]:
    """One record in the category's location: deliveries in, usage out, counts, waste."""
    category = CATEGORIES[spec.category]
    rng = random.Random(f"{plan.seed}:{spec.sku}:{category.location}")
    clock, step = _Clock(tz, rng), _step(spec.uom)
    levels = item_levels(spec)
    demand = _Demand.of(spec, rng)
    last_delivery_day = plan.today - timedelta(days=SHORTAGE_DAYS.get(spec.sku, 0))
    record = PlannedRecord(spec.sku, category.location)
    first = _first_day(spec, plan)
    for day in _days(first, plan.today):
        if day == first and spec.launched_days_ago:
            _receive_up_to(
                record, levels.reorder_max, spec.uom, clock.delivery(day), category.supplier
            )
        elif day == first:
            record.move(MovementKind.COUNT, levels.reorder_max, clock.opening(day), OPENING)
        elif (
            day.weekday() in category.delivery_weekdays
            and day < last_delivery_day
            and _wants_order(spec, levels, record.quantity)
        ):
            _receive_up_to(
                record, levels.reorder_max, spec.uom, clock.delivery(day), category.supplier
            )
        _maybe_waste(record, rng, clock, day, category.waste_rate, step)
        used = min(demand.on(day), record.quantity)
        if used > 0:
            record.move(MovementKind.ISSUE, -used, clock.usage(day), "Daily usage")
        if _is_month_end(day):
            _count(record, rng, clock, day, step)
    return [record]


def _simulate_bar(spec: ItemSpec, plan: DemoPlan, tz) -> list[PlannedRecord]:
    """Backstock in dry storage, restocked to the bar by transfers; the bar's stock is used."""
    category = CATEGORIES[spec.category]
    rng = random.Random(f"{plan.seed}:{spec.sku}:{category.location}:{category.bar_location}")
    clock, step = _Clock(tz, rng), _step(spec.uom)
    levels = item_levels(spec)
    demand = _Demand.of(spec, rng)
    bar_target = _level(
        spec.daily_mean * 3.5 if not spec.intermittent else spec.large_use * 2, spec.uom
    )
    last_delivery_day = plan.today - timedelta(days=SHORTAGE_DAYS.get(spec.sku, 0))
    store = PlannedRecord(spec.sku, category.location)
    bar = PlannedRecord(spec.sku, category.bar_location)
    for day in _days(plan.start, plan.today):
        if day == plan.start:
            store.move(MovementKind.COUNT, levels.reorder_max, clock.opening(day), OPENING)
            bar.move(MovementKind.COUNT, bar_target, clock.opening(day), OPENING)
        elif (
            day.weekday() in category.delivery_weekdays
            and day < last_delivery_day
            and _wants_order(spec, levels, store.quantity)
        ):
            _receive_up_to(
                store, levels.reorder_max, spec.uom, clock.delivery(day), category.supplier
            )
        if day.weekday() in (0, 3, 5) and day != plan.start:
            moved = min(bar_target - bar.quantity, store.quantity)
            if moved > 0:
                at = clock.transfer(day)
                transfer_id = uuid.UUID(int=rng.getrandbits(128), version=4)
                store.move(MovementKind.TRANSFER, -moved, at, "Restock bar", transfer_id)
                bar.move(MovementKind.TRANSFER, moved, at, "Restock bar", transfer_id)
        used = min(demand.on(day), bar.quantity)
        if used > 0:
            bar.move(MovementKind.ISSUE, -used, clock.usage(day), "Bar sales")
        if _is_month_end(day):
            _count(store, rng, clock, day, step)
            _count(bar, rng, clock, day, step)
    return [store, bar]


def _simulate_extra(extra: ExtraLot, spec: ItemSpec, plan: DemoPlan, tz) -> PlannedRecord:
    rng = random.Random(f"{plan.seed}:{extra.sku}:{extra.location}:extra")
    clock, step = _Clock(tz, rng), _step(spec.uom)
    if extra.chance < 1:
        demand = _Demand(rng, uom=spec.uom, chance=extra.chance, size=extra.use)
    else:
        demand = _Demand(rng, uom=spec.uom, mean=extra.use)
    received = _round(extra.received, step)
    supplier = CATEGORIES[spec.category].supplier
    record = PlannedRecord(spec.sku, extra.location)
    first = plan.today - timedelta(days=extra.days_ago)
    for day in _days(first, plan.today):
        low = record.quantity * 3 < received
        if day == first or (extra.restock and day.weekday() == 3 and low):
            _receive_up_to(record, received, spec.uom, clock.delivery(day), supplier)
        used = min(demand.on(day), record.quantity)
        if used > 0:
            record.move(MovementKind.ISSUE, -used, clock.usage(day), "Daily usage")
        if _is_month_end(day) and day != first:
            _count(record, rng, clock, day, step)
    return record


def _label(record: PlannedRecord, spec: ItemSpec, shelf_days: int | None, taken: set) -> None:
    """Name the record's lot after its last delivery, and date its expiry from that delivery."""
    category = CATEGORIES[spec.category]
    delivered = record.last_receipt_day
    if shelf_days is not None and delivered is not None and record.location != "BAR":
        record.expires_at = delivered + timedelta(days=shelf_days)
    if category.lots and delivered is not None:
        lot = f"L{delivered:%y%m%d}"
        suffix = 2
        while (record.sku, record.location, lot) in taken:
            lot, suffix = f"L{delivered:%y%m%d}-{suffix}", suffix + 1
        record.lot = lot
    taken.add((record.sku, record.location, record.lot))


def build_demo_plan(*, seed: int = DEFAULT_SEED, today: date, tz: tzinfo = UTC):
    """The whole demo data set as plain data; the same seed and day always give the same plan."""
    plan = DemoPlan(
        seed=seed,
        today=today,
        start=today - timedelta(days=HISTORY_DAYS),
        items=ITEMS,
        locations=LOCATIONS,
        records=[],
    )
    specs = {spec.sku: spec for spec in ITEMS}
    taken: set = set()
    for spec in ITEMS:
        if not spec.stocked:
            continue
        category = CATEGORIES[spec.category]
        simulate = _simulate_bar if category.bar_location else _simulate_store
        shelf_days = spec.shelf_days or category.shelf_days
        for record in simulate(spec, plan, tz):
            _label(record, spec, shelf_days, taken)
            plan.records.append(record)
    for extra in EXTRA_LOTS:
        record = _simulate_extra(extra, specs[extra.sku], plan, tz)
        _label(record, specs[extra.sku], extra.shelf_days, taken)
        plan.records.append(record)
    return plan


# --- writing it -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoDataResult:
    loaded: bool
    items: int = 0
    locations: int = 0
    stock_records: int = 0
    movements: int = 0
    low_stock_items: int = 0
    expiring_soon: int = 0


def demo_data_loaded() -> bool:
    return Item.objects.filter(sku=MARKER_SKU).exists()


@transaction.atomic
def load_demo_data(*, seed: int = DEFAULT_SEED, today: date | None = None) -> DemoDataResult:
    """Write the demo plan into the database, unless the demo data is already there.

    All or nothing: one transaction. Item and location rows are made by their services; stock
    records and their year of ledger rows are bulk-inserted with the ledger's invariants.
    """
    if demo_data_loaded():
        return DemoDataResult(loaded=False)
    today = today or timezone.localdate()
    plan = build_demo_plan(seed=seed, today=today, tz=timezone.get_current_timezone())
    opened = datetime.combine(plan.start - timedelta(days=7), time(9), tzinfo=UTC)

    locations = {
        spec.code: services.location_create(code=spec.code, name=spec.name)
        for spec in plan.locations
    }
    items = {}
    for spec in plan.items:
        levels = item_levels(spec)
        items[spec.sku] = item_services.item_create(
            sku=spec.sku,
            name=spec.name,
            category=spec.category,
            uom=spec.uom,
            reorder_min=levels.reorder_min,
            reorder_max=levels.reorder_max,
            par_level=levels.par_level,
        )
        if not spec.active:
            item_services.item_deactivate(item=items[spec.sku])
    # A year of history needs items and locations that existed a year ago; new items are new.
    Location.objects.filter(pk__in=[loc.pk for loc in locations.values()]).update(created_at=opened)
    stocked = [items[spec.sku].pk for spec in plan.items if spec.stocked]
    year_old = [items[s.sku].pk for s in plan.items if s.stocked and not s.launched_days_ago]
    Item.objects.filter(pk__in=year_old).update(created_at=opened, updated_at=opened)
    for spec in plan.items:
        if spec.stocked and spec.launched_days_ago:
            launched = datetime.combine(_first_day(spec, plan) - timedelta(days=2), time(9), UTC)
            Item.objects.filter(pk=items[spec.sku].pk).update(
                created_at=launched, updated_at=launched
            )

    records = StockRecord.objects.bulk_create(
        [
            StockRecord(
                item=items[planned.sku],
                location=locations[planned.location],
                lot=planned.lot,
                quantity=planned.quantity,
                expires_at=planned.expires_at,
                last_counted_at=planned.last_counted_at,
            )
            for planned in plan.records
        ],
        batch_size=BATCH_SIZE,
    )
    by_key = {
        (r.item_id, r.location_id, r.lot): r
        for r in StockRecord.objects.filter(item_id__in=stocked)
    }
    records = [by_key[(items[p.sku].pk, locations[p.location].pk, p.lot)] for p in plan.records]
    for record, planned in zip(records, plan.records, strict=True):
        record.created_at = planned.movements[0].created_at
    StockRecord.objects.bulk_update(records, ["created_at"], batch_size=BATCH_SIZE)

    request_id = f"demo-data-seed-{seed}"
    ledger = [
        (movement.created_at, index, order, record, movement)
        for index, (record, planned) in enumerate(zip(records, plan.records, strict=True))
        for order, movement in enumerate(planned.movements)
    ]
    ledger.sort(key=lambda row: row[:3])  # ids follow time, as they would have
    StockMovement.objects.bulk_create(
        (
            StockMovement(
                stock_record=record,
                item_id=record.item_id,
                location_id=record.location_id,
                lot=record.lot,
                kind=movement.kind,
                quantity_delta=movement.quantity_delta,
                quantity_after=movement.quantity_after,
                created_at=movement.created_at,
                created_by=None,
                reason=movement.reason,
                request_id=request_id,
                source=MovementSource.COMMAND,
                transfer_id=movement.transfer_id,
            )
            for _at, _index, _order, record, movement in ledger
        ),
        batch_size=BATCH_SIZE,
    )
    soon = today + timedelta(days=EXPIRING_SOON_DAYS)
    return DemoDataResult(
        loaded=True,
        items=len(items),
        locations=len(locations),
        stock_records=len(records),
        movements=len(ledger),
        low_stock_items=selectors.low_stock_items().count(),
        expiring_soon=StockRecord.objects.filter(
            quantity__gt=0, expires_at__gte=today, expires_at__lte=soon
        ).count(),
    )
