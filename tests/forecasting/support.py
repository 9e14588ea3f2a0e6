"""Shared setup of the forecasting tests: runs small enough for a test, items with usage."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from forecasting.models import DailyUsage, ForecastRun, ItemForecast
from forecasting.selectors import stored_reorder_point
from inventory import services as stock_services
from items.models import Item
from tests.factories import ItemFactory


def use_small_runs(
    settings,
    *,
    days: int,
    horizon: int,
    holdout: int,
    batch_size: int | None = None,
    folds: int | None = None,
) -> None:
    """Forecast runs over `days` of history in one process; unnamed settings keep their value."""
    settings.FORECAST_HISTORY_DAYS = days
    settings.FORECAST_HORIZON_DAYS = horizon
    settings.FORECAST_HOLDOUT_DAYS = holdout
    settings.FORECAST_N_JOBS = 1
    if batch_size is not None:
        settings.FORECAST_BATCH_SIZE = batch_size
    if folds is not None:
        settings.FORECAST_RETRAIN_FOLDS = folds


def item_with_usage(values, *, end: date, **fields) -> Item:
    """An item whose daily usage over the days up to `end` is `values`, oldest first."""
    item = ItemFactory(**fields)
    start = end - timedelta(days=len(values) - 1)
    DailyUsage.objects.bulk_create(
        DailyUsage(item=item, date=start + timedelta(days=day), quantity=Decimal(str(value)))
        for day, value in enumerate(values)
    )
    return item


def steady_items(count: int, *, days: int, end: date) -> list[Item]:
    """`count` items selling 9, 10 or 11 a day (by days before `end`) for `days` days."""
    values = [9 + (days - 1 - day) % 3 for day in range(days)]
    return [item_with_usage(values, end=end) for _ in range(count)]


def succeeded_run(*, horizon: int, **fields) -> ForecastRun:
    """A succeeded forecast run whose history ended yesterday, covering `horizon` days."""
    return ForecastRun.objects.create(
        kind=ForecastRun.Kind.FORECAST,
        status=ForecastRun.Status.SUCCEEDED,
        history_end=timezone.localdate() - timedelta(days=1),
        config={"horizon_days": horizon},
        **fields,
    )


def flat_forecast(
    run: ForecastRun,
    item: Item,
    *,
    mean: float,
    horizon: int,
    hi95: float | None = None,
    lo95: float | None = None,
    **fields,
) -> ItemForecast:
    """A result of `run` forecasting `mean` a day for `horizon` days (95% bounds default to it),
    with the reorder point a run stores beside it."""
    hi95 = mean if hi95 is None else hi95
    lo95 = mean if lo95 is None else lo95
    points = {
        "mean": [mean] * horizon,
        "lo80": [lo95] * horizon,
        "hi80": [hi95] * horizon,
        "lo95": [lo95] * horizon,
        "hi95": [hi95] * horizon,
    }
    return ItemForecast.objects.create(
        run=run,
        item=item,
        demand_class="smooth",
        model="seasonal_es",
        horizon_start=run.history_end + timedelta(days=1),
        points=points,
        **{**stored_reorder_point(points), **fields},
    )


def item_with_stock(location, on_hand, **fields) -> Item:
    """An item without reorder levels (unless given) with `on_hand` received at `location`."""
    fields = {"reorder_min": 0, "reorder_max": 0, "par_level": 0, **fields}
    item = ItemFactory(**fields)
    if on_hand:
        stock_services.stock_receive(item=item, location=location, quantity=Decimal(on_hand))
    return item
