"""Daily demand history per item: the ledger's issues plus imported usage, from its first record.

Demand on a day is what left the shelves to be used or sold: the sum of the item's `issue`
movements that day (in the server's time zone), over all locations. The ledger's kind tells
demand from the rest: goods thrown away are `waste` rows, corrections are `adjustment` rows, and
neither is demand. An issue booked by mistake is undone by a reversal, an `issue` row with a
positive delta that names the original (`reverses`); it counts on the original's day, whenever
it was booked, so the mistaken demand is netted where it was recorded.

Imported usage (`DailyUsage`) is the record kept elsewhere, before the system or at a point of
sale: on a day it covers it replaces the ledger's figure, so the two are never added up twice. A
usage row of the item as a whole (no location) is that day's full figure; otherwise the day's
per-location rows are added up.

An item's history starts at its first record: its first ledger movement of any kind (a delivery,
a count, an issue) or its first imported usage day, whichever is earlier (`item_histories`).
Days before it are not days without demand: the item did not exist yet, and counting them as
zeros would make an item launched last month look intermittent and drag its level down. Days
from the first record on without any issue are real zeros.

Promotions (`promotion_matrix`) come the same way, a batch of items at a time: the days each
item is promoted, over its history and its horizon.

NumPy is imported in the functions that build the matrices: the selectors, and through them
the API's URL conf, import this module at every start.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.db.models import Min, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from forecasting.models import DailyUsage, Promotion
from inventory.models import MovementKind, StockMovement

if TYPE_CHECKING:
    import numpy as np


def last_history_day() -> date:
    """Yesterday, the last whole day: forecasts start today."""
    return timezone.localdate() - timedelta(days=1)


def demand_matrix(item_ids: list[int], *, end: date, days: int) -> np.ndarray:
    """Demand of each item (rows, in `item_ids` order) on each of the `days` days up to `end`."""
    import numpy as np

    start = end - timedelta(days=days - 1)
    matrix = np.zeros((len(item_ids), days), dtype=np.float64)
    if not item_ids:
        return matrix
    row_of = {item_id: row for row, item_id in enumerate(item_ids)}
    tz = timezone.get_current_timezone()
    # A reversal counts on its original's day. It is booked after the original, so the bounds
    # on a row's own time stay (for the index), except that a reversal may come after `end`.
    issues = (
        StockMovement.objects.filter(
            Q(created_at__date__lte=end) | Q(reverses__isnull=False),
            kind=MovementKind.ISSUE,
            item_id__in=item_ids,
            created_at__date__gte=start,
        )
        .annotate(
            day=TruncDate(Coalesce("reverses__created_at", "created_at"), tzinfo=tz),
        )
        .filter(day__gte=start, day__lte=end)
        .values_list("item_id", "day")
        .annotate(quantity=Sum("quantity_delta"))
        .order_by()
    )
    for item_id, day, quantity in issues:
        matrix[row_of[item_id], (day - start).days] += -float(quantity)
    usage = (
        DailyUsage.objects.filter(item_id__in=item_ids, date__gte=start, date__lte=end)
        .values_list("item_id", "date", "location_id")
        .annotate(quantity=Sum("quantity"))
        .order_by()
    )
    per_location: dict[tuple[int, int], float] = {}
    item_wide: dict[tuple[int, int], float] = {}
    for item_id, day, location_id, quantity in usage:
        cell = (row_of[item_id], (day - start).days)
        if location_id is None:
            item_wide[cell] = float(quantity)
        else:
            per_location[cell] = per_location.get(cell, 0.0) + float(quantity)
    # The item's usage as a whole is the full figure of that day: it wins over per-location
    # rows of the same day, which it already includes.
    per_location.update(item_wide)
    for (row, column), quantity in per_location.items():
        matrix[row, column] = quantity
    # A reversal puts back at most what its original took, on the same day, so a day's issues
    # do not sum below zero; whatever older rows the ledger holds, demand is never negative.
    np.clip(matrix, 0.0, None, out=matrix)
    return matrix


def first_record_days(item_ids: list[int]) -> dict[int, date]:
    """Each item's first day with a record: a ledger movement of any kind or imported usage.

    Items without any record are left out. Two grouped queries, each served by an index that
    starts with the item.
    """
    if not item_ids:
        return {}
    first: dict[int, date] = {}
    movements = (
        StockMovement.objects.filter(item_id__in=item_ids)
        .values_list("item_id")
        .annotate(first=Min("created_at"))
        .order_by()
    )
    for item_id, created_at in movements:
        first[item_id] = timezone.localdate(created_at)
    usage = (
        DailyUsage.objects.filter(item_id__in=item_ids)
        .values_list("item_id")
        .annotate(first=Min("date"))
        .order_by()
    )
    for item_id, day in usage:
        first[item_id] = min(day, first.get(item_id, day))
    return first


def item_histories(item_ids: list[int], *, end: date, days: int) -> list[np.ndarray]:
    """Each item's daily demand (in `item_ids` order) from its first record, at most `days`.

    An item whose first record is after `end`, or that has none, has an empty history.
    """
    matrix = demand_matrix(item_ids, end=end, days=days)
    start = end - timedelta(days=days - 1)
    first = first_record_days(item_ids)
    histories = []
    for row, item_id in zip(matrix, item_ids, strict=True):
        day = first.get(item_id)
        if day is None or day > end:
            histories.append(row[:0])
        else:
            histories.append(row[max((day - start).days, 0) :])
    return histories


def promotion_matrix(item_ids: list[int], *, start: date, days: int) -> np.ndarray:
    """Bool, one row per item (in `item_ids` order): the promoted days of the `days` from `start`.

    One query for the whole batch, however many items: the promotions overlapping the range.
    """
    import numpy as np

    matrix = np.zeros((len(item_ids), days), dtype=bool)
    if not item_ids or days <= 0:
        return matrix
    end = start + timedelta(days=days - 1)
    row_of = {item_id: row for row, item_id in enumerate(item_ids)}
    promotions = Promotion.objects.filter(
        item_id__in=item_ids, last_day__gte=start, first_day__lte=end
    ).values_list("item_id", "first_day", "last_day")
    for item_id, first_day, last_day in promotions:
        first = max((first_day - start).days, 0)
        last = min((last_day - start).days, days - 1)
        matrix[row_of[item_id], first : last + 1] = True
    return matrix
